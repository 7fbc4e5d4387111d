"""The tables. Amounts are stored as integer minor units plus currency (exact on every engine).

Uniqueness that the outbox's "never twice" promise rests on lives here as constraints, not in
application code: see `OutboxItem`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from connector.store.types import UTCDateTime


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class CustomerRow(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = (UniqueConstraint("tenant", "ref", name="uq_customer_tenant_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    ref: str = Field(max_length=100)
    name: str = Field(sa_column=Column(Text, nullable=False))
    email: str | None = Field(default=None, sa_column=Column(Text))
    company_name: str | None = Field(default=None, sa_column=Column(Text))
    profile: str = Field(default="business", max_length=20)
    reminders_enabled: bool | None = None
    language: str | None = Field(default=None, max_length=10)
    currency: str | None = Field(default=None, max_length=3)
    updated_at: datetime | None = _ts()
    seen_at: datetime | None = _ts()
    handed_off_at: datetime | None = _ts()
    address: str | None = Field(default=None, sa_column=Column(Text))
    #: the customer number/code of the ledger (Exact `Code`), for finding customers by it
    number: str | None = Field(default=None, max_length=100)


class InvoiceRow(SQLModel, table=True):
    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("tenant", "ref", name="uq_invoice_tenant_ref"),
        Index("ix_invoice_tenant_status", "tenant", "status"),
        Index("ix_invoice_tenant_customer", "tenant", "customer_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    ref: str = Field(max_length=100)
    number: str = Field(max_length=100)
    customer_ref: str = Field(max_length=100)
    status: str = Field(max_length=20)
    issue_date: date
    due_date: date
    currency: str = Field(max_length=3)
    total_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    balance_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime | None = _ts()
    last_payment_date: date | None = None
    platform_reminders_sent: int | None = None
    last_reminder_date: date | None = None
    #: the platform's online payment link for the invoice (Zoho `invoice_url`); kept when a
    #: later read (a list item) does not carry it
    pay_url: str | None = Field(default=None, max_length=2000)
    #: when a sync last returned this invoice; the full reconciliation looks up the ones it missed
    last_seen_at: datetime | None = _ts()


class PaymentRow(SQLModel, table=True):
    __tablename__ = "payment"
    __table_args__ = (
        UniqueConstraint("tenant", "ref", name="uq_payment_tenant_ref"),
        Index("ix_payment_tenant_customer", "tenant", "customer_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    ref: str = Field(max_length=100)
    customer_ref: str = Field(max_length=100)
    paid_on: date
    currency: str = Field(max_length=3)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    invoice_refs: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    updated_at: datetime | None = _ts()


class SyncCursor(SQLModel, table=True):
    __tablename__ = "sync_cursor"
    __table_args__ = (UniqueConstraint("tenant", "stream", name="uq_cursor_tenant_stream"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    stream: str = Field(max_length=50)
    value: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: datetime | None = _ts()


class OutboxAction(SQLModel, table=True):
    """One planned action. Life: pending → sending → sent | failed | cancelled | review.

    `review` is an unknown outcome or something a human must decide; it is never resent blindly.
    """

    __tablename__ = "outbox_action"
    __table_args__ = (Index("ix_outbox_tenant_status", "tenant", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    customer_ref: str = Field(max_length=100)
    kind: str = Field(max_length=30)
    template: str = Field(max_length=100)
    channel: str = Field(max_length=20)
    with_statement: bool = False
    planned_for: date
    idempotency_key: str = Field(max_length=64, index=True)
    extra: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=20)
    detail: str | None = Field(default=None, sa_column=Column(Text))
    run_id: str | None = Field(default=None, max_length=40)
    claimed_by: str | None = Field(default=None, max_length=200)
    claimed_until: datetime | None = _ts()
    #: the platform's reminder counters per invoice just before sending (for reconciliation)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime | None = _ts(nullable=False)
    done_at: datetime | None = _ts()


class OutboxItem(SQLModel, table=True):
    """One invoice's step inside an action.

    `live` is True while the action is pending, sending, sent or in review, and NULL once it
    failed or was cancelled. The unique constraint over (tenant, invoice, step, live) lets only
    one live row exist per invoice step — the database itself refuses a second reminder, across
    processes and machines — while NULLs (which never collide) keep the history of attempts
    that did not go out and let the step be planned again.
    """

    __tablename__ = "outbox_item"
    __table_args__ = (
        UniqueConstraint("tenant", "invoice_ref", "step", "live", name="uq_outbox_item_live"),
        Index("ix_outbox_item_tenant_invoice", "tenant", "invoice_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="outbox_action.id", index=True)
    tenant: str = Field(max_length=100)
    invoice_ref: str = Field(max_length=100)
    step: str = Field(max_length=60)
    currency: str = Field(max_length=3)
    balance_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    live: bool | None = True


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_tenant_at", "tenant", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    at: datetime | None = _ts(nullable=False)
    event: str = Field(max_length=60)
    message: str = Field(sa_column=Column(Text, nullable=False))
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    run_id: str | None = Field(default=None, max_length=40)
    #: who acted, for a person's action (a console user's e-mail address, or the login name of
    #: whoever ran the command); None for what the connector did by itself
    actor: str | None = Field(default=None, max_length=320)
    #: where the person acted: the console page ("console: approvals") or the command
    source: str | None = Field(default=None, max_length=200)


class OAuthToken(SQLModel, table=True):
    """One OAuth connection of a tenant. Token columns hold Fernet ciphertext, never plain text."""

    __tablename__ = "oauth_token"
    __table_args__ = (UniqueConstraint("tenant", "connection", name="uq_token_tenant_conn"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    connection: str = Field(default="default", max_length=100)
    platform: str = Field(max_length=20)
    refresh_token_enc: str = Field(sa_column=Column(Text, nullable=False))
    access_token_enc: str | None = Field(default=None, sa_column=Column(Text))
    expires_at: datetime | None = _ts()
    api_domain: str | None = Field(default=None, sa_column=Column(String(300)))
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    version: int = 1
    state: str = Field(default="ok", max_length=30)
    state_reason: str | None = Field(default=None, sa_column=Column(Text))
    lease_owner: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = _ts()
    last_refresh_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()


class TokenJournal(SQLModel, table=True):
    """Token answers that could not be committed, kept (encrypted) so none is ever lost."""

    __tablename__ = "token_journal"

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    connection: str = Field(max_length=100)
    payload_enc: str = Field(sa_column=Column(Text, nullable=False))
    reason: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime | None = _ts(nullable=False)


class TenantRun(SQLModel, table=True):
    """Per-tenant run lease and last-run bookkeeping (one row per tenant)."""

    __tablename__ = "tenant_run"

    tenant: str = Field(primary_key=True, max_length=100)
    lease_owner: str | None = Field(default=None, max_length=200)
    lease_until: datetime | None = _ts()
    last_started_at: datetime | None = _ts()
    last_finished_at: datetime | None = _ts()
    last_result: str | None = Field(default=None, max_length=20)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    consecutive_failures: int = 0
    last_full_reconcile_at: datetime | None = _ts()


# -- operations (issue 5: `dunning serve`, alerts, API budget) ------------------------------
class OpsAlert(SQLModel, table=True):
    """One alert condition of a client (or the installation: tenant ``*``).

    A row is `active` while its condition holds; `mailed_at` records the one mail sent for this
    activation, so an hourly re-check does not mail again (no alert storm). When the condition
    clears, `cleared_at` is set; a later recurrence reactivates the row and mails once more.
    """

    __tablename__ = "ops_alert"
    __table_args__ = (UniqueConstraint("tenant", "kind", name="uq_ops_alert_tenant_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    kind: str = Field(max_length=40)
    active: bool = True
    message: str = Field(sa_column=Column(Text, nullable=False))
    raised_at: datetime | None = _ts(nullable=False)
    mailed_at: datetime | None = _ts()
    cleared_at: datetime | None = _ts()


class ApiUsageDay(SQLModel, table=True):
    """API calls a client spent on one UTC day (the platforms' daily budgets reset at 00:00Z)."""

    __tablename__ = "api_usage_day"
    __table_args__ = (UniqueConstraint("tenant", "day", name="uq_api_usage_tenant_day"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    day: date
    platform: str = Field(max_length=20)
    calls: int = 0
    throttled: int = 0


# -- scale-out workers (issue #6) ---------------------------------------------------------------
class TenantRound(SQLModel, table=True):
    """One scheduled run of a client (its schedule slot), claimed by whichever worker runs it.

    UNIQUE (tenant, round_at): a slot is run to completion once, however often its job is
    retried after a worker died."""

    __tablename__ = "tenant_round"
    __table_args__ = (UniqueConstraint("tenant", "round_at", name="uq_round_tenant_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    round_at: datetime | None = _ts(nullable=False)
    status: str = Field(default="running", max_length=20)  # running | done | failed | skipped
    attempts: int = 0
    worker: str | None = Field(default=None, max_length=200)
    started_at: datetime | None = _ts()
    finished_at: datetime | None = _ts()
    result: str | None = Field(default=None, sa_column=Column(Text))


class ApiBudget(SQLModel, table=True):
    """A per-minute call budget shared by every worker (one row per platform organisation)."""

    __tablename__ = "api_budget"

    key: str = Field(primary_key=True, max_length=200)
    window_start: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    used: int = 0
    blocked_until: float = 0.0


# -- dunning policies (issue #4): pauses ----------------------------------------------------------
class DunningPause(SQLModel, table=True):
    """A pause set by a person: promise to pay, dispute, payment plan or do-not-dun.

    Never deleted: `dunning resume` sets `resumed_at`/`resumed_by`, so who paused what, why and
    when stays on record (the dossier of a hand-off lists them)."""

    __tablename__ = "dunning_pause"
    __table_args__ = (Index("ix_dunning_pause_tenant_customer", "tenant", "customer_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    customer_ref: str = Field(max_length=100)
    invoice_ref: str | None = Field(default=None, max_length=100)
    kind: str = Field(max_length=20)
    until: date | None = None
    reason: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=200)
    created_at: datetime | None = _ts(nullable=False)
    resumed_at: datetime | None = _ts()
    resumed_by: str | None = Field(default=None, max_length=200)


# -- issue #14: customers' replies read from the client's inbox ---------------------------------
class InboxMessage(SQLModel, table=True):
    """A message of the replies mailbox the connector has handled, so it is handled once: by its
    key (Message-ID, else UID under UIDVALIDITY) across runs and a renumbered folder. The UID
    and UIDVALIDITY are kept beside it; the highest UID read is the "inbox" sync cursor."""

    __tablename__ = "inbox_message"
    __table_args__ = (UniqueConstraint("tenant", "message_key", name="uq_inbox_message_key"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    message_key: str = Field(max_length=64)
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    #: the sender's address and subject, cleaned and cut (connector.mail.imap.clean)
    sender: str = Field(max_length=254)
    subject: str = Field(sa_column=Column(Text, nullable=False))
    #: the customer it was matched to (None: no match)
    customer_ref: str | None = Field(default=None, max_length=100)
    #: paused, unmatched, automatic, nothing-open
    outcome: str = Field(max_length=20)
    handled_at: datetime | None = _ts(nullable=False)


# -- the web console (issue #13): people, their sessions, their login attempts ---------------
class ConsoleUser(SQLModel, table=True):
    """A person who signs in to the web console. `password_hash` is an argon2id hash (never the
    password); `clients` are the client names a consultant or owner may see (an admin sees all).
    """

    __tablename__ = "console_user"

    id: int | None = Field(default=None, primary_key=True)
    #: lower-cased, so a login does not depend on how the address was typed
    email: str = Field(max_length=320, unique=True)
    password_hash: str = Field(sa_column=Column(Text, nullable=False))
    role: str = Field(max_length=20)  # consultant | owner | admin
    clients: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="nl", max_length=10)
    created_at: datetime | None = _ts(nullable=False)
    password_changed_at: datetime | None = _ts()


class ConsoleSession(SQLModel, table=True):
    """A signed-in browser. The cookie carries a random id; only its SHA-256 is stored, so a
    copy of the database opens no session. Logging out deletes the row; a login always makes a
    new one (no session fixation)."""

    __tablename__ = "console_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="console_user.id", index=True)
    created_at: datetime | None = _ts(nullable=False)
    last_seen_at: datetime | None = _ts(nullable=False)
    expires_at: datetime | None = _ts(nullable=False)


class ConsoleLoginAttempt(SQLModel, table=True):
    """A failed login, by e-mail address and by remote address, for the login rate limit."""

    __tablename__ = "console_login_attempt"
    __table_args__ = (Index("ix_console_login_attempt_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=400)
    at: datetime | None = _ts(nullable=False)


# -- pay links from a payment provider (issue #14) ------------------------------------------------
class PaymentLinkRow(SQLModel, table=True):
    """A pay link made at a payment provider (Mollie) for one reminder's open amount.

    Written as `creating` with its idempotency key *before* the provider is asked, so a run that
    dies before storing the answer asks again with the same key and gets the same link (never a
    second one); `open` once the answer is stored; `paid` once the provider confirmed a payment
    (fetched, never taken from a webhook's word). `fingerprint` is the customer's invoices with
    their balances as the link was made for them: the same fingerprint reuses the open link, a
    changed balance makes a new one."""

    __tablename__ = "payment_link"
    __table_args__ = (
        UniqueConstraint("tenant", "idempotency_key", name="uq_payment_link_tenant_key"),
        Index("ix_payment_link_tenant_fingerprint", "tenant", "fingerprint"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    customer_ref: str = Field(max_length=100)
    provider: str = Field(max_length=20)
    fingerprint: str = Field(max_length=64)
    idempotency_key: str = Field(max_length=64)
    status: str = Field(default="creating", max_length=20)  # creating | open | paid
    link_id: str | None = Field(default=None, max_length=100, index=True)
    url: str | None = Field(default=None, max_length=2000)
    currency: str = Field(max_length=3)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    #: invoice ref -> balance in minor units, as the link was made for them
    invoices: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime | None = _ts(nullable=False)
    paid_at: datetime | None = _ts()


# -- the customer's own page (issue #14): a link per customer, no login -------------------------
class CustomerPageToken(SQLModel, table=True):
    """A link to a customer's own page (`/p/<token>`). Only the token's SHA-256 finds a row, so
    a copy of the database opens no page; `sealed` is the token encrypted with the connector's
    key (bound to the client), so the next reminder reuses the same link instead of making one
    per mail. A link ends at `expires_at` or when revoked."""

    __tablename__ = "customer_page_token"
    __table_args__ = (Index("ix_customer_page_token_tenant_customer", "tenant", "customer_ref"),)

    token_hash: str = Field(primary_key=True, max_length=64)
    tenant: str = Field(max_length=100)
    customer_ref: str = Field(max_length=100)
    sealed: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime | None = _ts(nullable=False)
    expires_at: datetime | None = _ts(nullable=False)
    revoked_at: datetime | None = _ts()


# -- issue #14: payment plans customers propose on their own page -------------------------------
class PaymentPlanRow(SQLModel, table=True):
    """A payment plan: proposed by the customer, approved or rejected by the business (or at
    once below the client's limit), then kept or missed. Never deleted. `number` is the short
    number people use, counted per client. `instalments` is `[[day, minor], ...]`; `invoices` is
    `[[ref, number, balance_minor_at_start], ...]`; `pause_ids` are the plan's pauses (kind
    plan, one per invoice), resumed when the plan ends."""

    __tablename__ = "payment_plan"
    __table_args__ = (
        UniqueConstraint("tenant", "number", name="uq_payment_plan_tenant_number"),
        Index("ix_payment_plan_tenant_customer", "tenant", "customer_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant: str = Field(max_length=100)
    number: int
    customer_ref: str = Field(max_length=100)
    status: str = Field(max_length=20)
    currency: str = Field(max_length=3)
    every_days: int | None = None
    instalments: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    invoices: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    pause_ids: list[Any] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime | None = _ts(nullable=False)
    created_by: str = Field(max_length=200)
    decided_at: datetime | None = _ts()
    decided_by: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    ended_at: datetime | None = _ts()


# -- the console's overview at scale (issue #13): each client's figures, kept by its run ----------
class ClientSummary(SQLModel, table=True):
    """What the console's overview shows of one client, written at the end of each run so the
    overview reads one row per client instead of summing its invoices per request; when it may
    be used is `connector.store.summaries`'s rule (`changes` against `computed_changes`, the
    day, the configuration files)."""

    __tablename__ = "client_summary"

    tenant: str = Field(primary_key=True, max_length=100)
    #: bumped by anything that may change the figures (`summaries.touch`)
    changes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    #: `changes` as read before the figures were computed (-1: never computed)
    computed_changes: int = Field(default=-1, sa_column=Column(BigInteger, nullable=False))
    #: the client's calendar day the figures are for (overdue, calls today)
    day: date | None = None
    #: the run's moment they were computed at (the next 7 days count from here)
    computed_at: datetime | None = _ts()
    #: real time the run started: configuration files changed later make the summary stale
    config_seen_at: datetime | None = _ts()
    #: per currency, in minor units: {"EUR": 15000}
    outstanding: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    overdue: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    awaiting_approval: int = 0
    awaiting_review: int = 0
    calls_today: int = 0
    #: steps the planner has in the 7 days from `computed_at` (None: could not be planned)
    upcoming: int | None = None
    #: the client page's ageing and DSO on `day` (`connector.report.ageing.headline_record`;
    #: None: not kept, computed live)
    headline: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
