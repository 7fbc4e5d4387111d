"""The commented sample configuration `dunning init DIR` writes.

Two files, both mode 0600 (client files hold references to secrets and, in practice, sometimes the
secrets themselves): `connector.yaml` and `clients/example.yaml`. Existing files are never
overwritten. The example client is a Zoho Books client with ``enabled: false`` whose secrets are
``${ZOHO_...}`` references: a disabled client may reference variables that are not set yet (see
`connector.config.loader`), so a fresh sample loads cleanly and `dunning doctor` works at once.
The encryption key file is created by the CLI, not here.
"""

from __future__ import annotations

import os
from pathlib import Path

from connector.config.loader import CLIENTS_DIR, CONNECTOR_FILE

SAMPLE_CLIENT = "example"

CONNECTOR_SAMPLE = """\
# connector.yaml: settings shared by every client of this installation.
# Each client has its own file in clients/<name>.yaml; the file name (lowercase letters, digits,
# '-' and '_') is the client's name in commands, logs and the database.
# Every key below shows its default; delete what you do not change.
# Values may reference environment variables: ${NAME}, or ${NAME:-default} when NAME is unset or
# empty; write \\${ for a literal "${". An unset variable without a default is an error.

# Where the state lives (synced ledger copy, outbox, tokens, audit). Env DATABASE_URL overrides it.
# A relative SQLite path is relative to this configuration directory (not the working directory).
# PostgreSQL: postgresql+psycopg://dunning:${PGPASSWORD}@db.internal/dunning
database_url: sqlite:///data/dunning.db

# Key that encrypts OAuth tokens and secrets at rest; relative to this directory.
# `dunning init` creates it. Back it up: without it the stored tokens are lost.
secret_key_file: secret.key

# Default time zone and sending window (local HH:MM-HH:MM) for reminders; a client file may
# override both.
timezone: Europe/Amsterdam
sending_window: "08:00-17:00"

# No reminder goes out on weekends or public holidays of `country` (ISO code, e.g. NL, BE, DE).
holidays:
  country: NL
  extra: []           # additional days off, e.g. [2026-12-24, 2026-12-31]
  working_days: []    # days that count as working days despite the above

# `dunning serve`: how often each client is run, with random jitter so that hundreds of clients
# do not hit the APIs in the same second, and how many clients run at once.
schedule:
  every_minutes: 60
  jitter_seconds: 300
  max_concurrent_clients: 4

# A full re-read of each ledger (to notice deletions) at most this often.
full_reconcile_every_hours: 24

# Log lines on stdout: text (for people) or json (for a log collector).
log_format: text

# Operator alerts: mail `email` when a client has failed `after_failures` runs in a row.
# Needs the `mail` section below.
alerts:
  email: null         # e.g. ops@consultancy.example
  after_failures: 3

# SMTP relay for operator alerts (not for reminders; those are per client).
# mail:
#   smtp_host: smtp.example.com
#   smtp_port: 587
#   username: alerts@consultancy.example
#   password: ${ALERT_SMTP_PASSWORD}
#   from: alerts@consultancy.example
#   starttls: true      # STARTTLS on a plain connection (port 587)
#   ssl: false          # or implicit TLS (port 465); not both

# `dunning serve`: health and status endpoint. Keep it on loopback unless a proxy guards it.
http:
  listen: 127.0.0.1:8089

# The web console (optional): `dunning serve` runs it too when this section is set (or run it on
# its own with `dunning console`; users: `dunning users add`). Behind a TLS reverse proxy in
# production; an https public_url makes the session cookie Secure.
# console:
#   listen: 127.0.0.1:8080
#   public_url: https://dunning.example.nl
#   page_link_days: 60   # how long the link to a customer's own page (in each reminder) is valid

# Exact Online webhooks (optional; clients set exact.webhook_secret): their own listener, apart
# from the metrics above; publish only POST /exact/webhook/<client> through a TLS reverse proxy.
# exact:
#   webhook_listen: 127.0.0.1:8090
#   webhook_max_connections: 32     # more at once are answered 503
#   webhook_timeout_seconds: 5      # per read; a connection is cut after three times this
"""

CLIENT_SAMPLE = """\
# clients/example.yaml: one client (tenant). The file name is the client's name: rename the file
# to e.g. acme.yaml, fill it in, set `enabled: true`, then `dunning auth login acme` and
# `dunning doctor`.
#
# Secrets are environment references (${NAME}), never literals. While `enabled: false`, missing
# variables are tolerated (the reference stays as text and `dunning doctor` lists it); once
# enabled, every referenced variable must be set.

display_name: Example B.V.    # the company name used in the letters
enabled: false                # a disabled client is never synced or mailed
platform: zoho                # zoho or exact; needs the matching section below

zoho:
  # Data centre of the Zoho account: com, eu, in, com.au, jp, ca, com.cn or sa
  # (the domain you log in at: books.zoho.eu -> eu).
  data_center: eu
  # Zoho Books > Settings > Organization Profile > Organization ID (digits).
  organization_id: "123456789"
  # OAuth client from https://api-console.zoho.eu (a "Server-based Application" with redirect URI
  # http://127.0.0.1:8765/callback, or a "Self Client" with `dunning auth set-token`).
  client_id: ${ZOHO_CLIENT_ID}
  client_secret: ${ZOHO_CLIENT_SECRET}
  # Port of the local callback `dunning auth login` listens on; must match the redirect URI.
  redirect_port: 8765
  # Zoho plan (free, standard, professional, premium, elite, ultimate): sets the daily API budget.
  plan: null
  # Sandbox or proxy only; leave null for the real service. accounts_url replaces the accounts
  # server (https://accounts.zoho.eu); api_url is scheme + host (+ optional path prefix) WITHOUT
  # /books/v3, which is appended: http://127.0.0.1:8080 -> http://127.0.0.1:8080/books/v3
  accounts_url: null
  api_url: null

# Exact Online instead (platform: exact); needs `mail` too, as Exact cannot send the reminders.
# exact:
#   country: nl                   # nl, be, de, fr, es, co.uk or com (the site you log in at)
#   # base_url: http://127.0.0.1:9000   # instead of country: a sandbox host
#   division: 1234567             # the administration (division) to follow
#   # divisions: [1234567, 7654321]     # instead of division: several administrations
#   client_id: ${EXACT_CLIENT_ID}
#   client_secret: ${EXACT_CLIENT_SECRET}
#   debtor_management_addon: false
#   webhook_secret: ${EXACT_WEBHOOK_SECRET}
#   # the https URL where `dunning serve` receives Exact's events (a bare host gets
#   # /exact/webhook/<client>); then `dunning exact webhooks subscribe <client>`
#   webhook_url: https://dunning.example.nl
#   # when Exact retires a used refresh token: on_first_use (once its successor is used; lets a
#   # refresh whose answer was lost be redone with the stored token) or immediate (a lost answer
#   # then means the client must consent again)
#   refresh_rotation: on_first_use

# SMTP relay for this client's reminders (optional for Zoho, required for Exact).
# mail:
#   smtp_host: smtp.example.com
#   smtp_port: 587
#   username: debiteuren@example.nl
#   password: ${EXAMPLE_SMTP_PASSWORD}
#   from: debiteuren@example.nl
#   starttls: true
#   ssl: false

# Where customers' replies go: the Reply-To of the mails the connector sends itself (Exact,
# Moneybird; Zoho sends from the organisation's address and its API takes no Reply-To).
# reply_to: antwoord@example.nl
# Read that mailbox (read-only, headers only): a reply naming an invoice, or from a customer's
# known address, pauses that customer's reminders and writes a "customer replied" task.
# inbox:
#   imap_host: imap.example.com
#   imap_port: 993              # default 993 (IMAPS), 143 without ssl
#   username: antwoord@example.nl
#   password: ${EXAMPLE_INBOX_PASSWORD}
#   ssl: true                   # IMAPS; or starttls: true
#   starttls: false
#   folder: INBOX
#   pause_days: 7               # how long a reply pauses the customer's reminders
#   ca_file: certs/mail-ca.pem  # a private CA / self-signed certificate to trust (PEM,
#                               # relative to this directory); default: the system's CAs

# Dunning policy (built in: nl-b2b-standard) and its adjustable details.
policy: nl-b2b-standard
policy_overrides:
  min_balance: "5.00"         # open balances below this are left alone
  thank_you: reminded         # thank-you mail on payment: reminded (only after a reminder),
                              # every (every payment) or never
# A different policy per customer profile (built-in name, a name in <config>/policies/, or a
# .yaml path relative to the config directory); profiles not named here use `policy`.
# Built in: nl-b2b-standard, nl-b2c-wik, nl-government, us-30-60-90.
policies: {}
#  consumer: nl-b2c-wik
#  government: nl-government

# When a customer counts as a chronic late payer (shown by `dunning customers`).
late_payers:
  min_invoices: 3             # judged only after this many paid invoices
  share_late: "0.5"           # ... of which at least this share was paid late,
  average_days_late: 14       # ... or paid this many days late on average
  grace_days: 0               # paid this many days after the due date is not late yet

# Collection law (Dutch WIK): VAT on collection costs only if you cannot reclaim VAT.
legal:
  vat_on_collection_costs: false
  vat_rate: "21"

language: nl                  # default letter language: nl or en
timezone: null                # null = connector.yaml's timezone
sending_window: null          # null = connector.yaml's sending_window, e.g. 09:00-16:00
# Hold every planned action until someone approves it (`dunning approve CLIENT --list`);
# `notify` gets one digest mail a day of what waits (over `mail:` below, else connector.yaml's).
# `notify` also gets a short mail when a customer promises to pay or disputes an invoice on their
# own page, and when such a promise is not kept (without `notify`: `sender.email`); those go over
# this client's own `mail:` relay only: without one they are not mailed (the console shows them).
approval:
  required: false
  notify: null                # e.g. owner@example.nl

# The customer's own page (linked from every reminder when connector.yaml sets console.public_url):
# a customer may promise to pay on a day at most this many days ahead (reminders wait until then
# plus a grace day; a promise not kept resumes them with a firmer mail that says so).
customer_page:
  promise_max_days: 14

# A payment plan the customer proposes on their own page: n equal instalments (the remainder on
# the last), monthly or every N days. Reminders for those invoices wait while it is proposed
# and while it is kept; a missed instalment (one grace day) resumes the ladder where it was.
# Below auto_approve_below (0 = never) a plan is approved at once, else the business approves it
# in the console or with `dunning plans approve CLIENT NUMBER`.
payment_plans:
  enabled: true
  max_instalments: 6          # 2 to 24
  min_instalment: "50"        # no instalment below this amount
  max_days: 180               # the last instalment at most this many days ahead
  start_within_days: 30       # the first instalment at most this many days ahead
  auto_approve_below: "0"     # e.g. "2000": smaller plans need nobody's approval

# Pay links from Mollie for invoices whose platform gives none (Exact Online): one link per
# reminder for its open amount, reused until a balance changes. A paid link holds the
# invoices' ladder until the ledger books the payment, or part of it (the rest is then
# reminded again), at most pending_days.
# payments:
#   provider: mollie
#   api_key: ${MOLLIE_API_KEY}  # live_... or test_...; always from the environment
#   webhook_url: null         # where Mollie reaches `dunning serve`'s webhook listener,
#                             # e.g. https://hooks.example.nl/mollie/webhook/example
#   redirect_url: null        # where the customer lands after paying
#   pending_days: 7
#   api_url: null             # a sandbox on this machine (tests)

# Shown in every letter.
sender:
  name: Example B.V. - Debiteurenbeheer
  email: debiteuren@example.nl
  phone: null                 # e.g. "+31 20 123 4567"
  address: null               # e.g. "Voorbeeldstraat 1, 1234 AB Amsterdam"
  # Where customers pay: named with the amount and the invoice numbers (as payment reference)
  # in every reminder, statement and letter. Checked (mod-97) when the file is loaded.
  iban: null                  # e.g. NL91 ABNA 0417 1643 00
  account_holder: null        # the name on the account; default: name above
  bic: null                   # optional, e.g. ABNANL2A

# Per-customer exceptions, keyed by the platform's contact id (quote it).
customers: {}
#  "460000000012345":
#    reminders: false          # never remind this customer
#    profile: consumer         # business, consumer or government (changes legal steps)
#    language: en              # letter language for this customer
#    address: "Dorpsstraat 1, 1234 AB Ergens"   # postal address for letters
"""


def write_sample(config_dir: Path) -> list[Path]:
    """Write what is missing of `connector.yaml` and `clients/example.yaml` under `config_dir`
    (created if needed): an existing `connector.yaml` is kept, and the example client is only
    written into a `clients/` folder that has no client file yet. Nothing is ever overwritten.

    Returns:
        The files written (empty: the configuration was complete already).

    Raises:
        OSError: the directory or a file cannot be created.
    """
    config_dir = Path(config_dir)
    clients = config_dir / CLIENTS_DIR
    files = {config_dir / CONNECTOR_FILE: CONNECTOR_SAMPLE}
    if not (clients.is_dir() and any(clients.glob("*.yaml"))):
        files[clients / f"{SAMPLE_CLIENT}.yaml"] = CLIENT_SAMPLE
    clients.mkdir(mode=0o700, parents=True, exist_ok=True)
    written: list[Path] = []
    for path, text in files.items():
        if path.exists():
            continue
        _write_private(path, text)
        written.append(path)
    return written


def _write_private(path: Path, text: str) -> None:
    """Create `path` with mode 0600; fail if it appeared meanwhile (O_EXCL)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            fd = -1
            handle.write(text)
    finally:
        if fd != -1:
            os.close(fd)


def init_config(config_dir: Path, *, key_only: bool = False) -> list[Path]:
    """`dunning init DIR`: the sample (what is missing of it) and a new key file (mode 0600)
    unless the configured key file exists.

    Raises:
        FileExistsError: nothing was missing (the configuration and its key exist).
        OSError: a directory or file cannot be created.
    """
    from connector.store.crypto import generate_key_file

    config_dir = Path(config_dir)
    written = [] if key_only else write_sample(config_dir)
    key = _key_file(config_dir)
    if generate_key_file(key):
        written.append(key)
    if not written:
        raise FileExistsError(
            f"{config_dir} exists with its configuration and key {key}; nothing to write "
            "(existing files are never overwritten)"
        )
    return written


def _key_file(config_dir: Path) -> Path:
    """The key file `connector.yaml` names (default secret.key), relative to `config_dir`."""
    import yaml

    path = config_dir / CONNECTOR_FILE
    name = "secret.key"
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict) and isinstance(loaded.get("secret_key_file"), str):
            name = loaded["secret_key_file"]
    key = Path(name)
    return key if key.is_absolute() else config_dir / key
