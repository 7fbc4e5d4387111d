"""Validated shapes of `connector.yaml` and `clients/<slug>.yaml`.

Every model forbids unknown keys (a misspelled key is an error, not a silently ignored setting)
and is frozen (a run cannot change its own configuration half-way). Validators raise `ValueError`
with a message that never repeats the configured value, so that `ConfigError` can be shown and
logged as is. Rules that involve two keys raise `KeyRuleError`, which tells the loader which key
the error is about and which line to point at.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    create_model,
    field_validator,
    model_validator,
)

from connector.domain import CustomerProfile
from connector.legal.calendar import SendingWindow

SLUG_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
"""A client's slug: its file stem, used in every table, log line and error."""

DEFAULT_TIMEZONE = "Europe/Amsterdam"
DEFAULT_SENDING_WINDOW = "08:00-17:00"


def is_loopback_host(host: str | None) -> bool:
    """localhost, 127.0.0.0/8 or ::1: a sandbox or relay on this machine."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_official_host(url: str, hosts: frozenset[str]) -> bool:
    """`url` is https on exactly one of `hosts` (default port)."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and (parts.hostname or "").rstrip(".") in hosts
        and port in (None, 443)
        and parts.username is None
        and parts.password is None
    )


class KeyRuleError(ValueError):
    """A rule between keys failed; `key_path` is what is wrong, `anchor` where to point.

    Both are relative to the model that raised it; the loader prefixes the model's own location.
    """

    def __init__(self, message: str, key_path: str, anchor: str | None = None) -> None:
        super().__init__(message)
        self.key_path = key_path
        self.anchor = anchor if anchor is not None else key_path


# -- reusable field validators -------------------------------------------------------------
_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[A-Za-z]{2,}$")


def _check_email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError("not a valid email address (expected name@example.com)")
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except Exception as exc:  # ZoneInfoNotFoundError, ValueError for malformed keys
        raise ValueError("unknown time zone (use an IANA name such as Europe/Amsterdam)") from exc
    return value


def _check_window(value: str) -> str:
    SendingWindow.parse(value)  # its ValueError says what is wrong
    return value


def _check_url(value: str) -> str:
    value = value.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an http(s) URL such as https://example.com")
    if parts.query or parts.fragment:
        raise ValueError("the URL must not have a query string or fragment")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the URL must not carry a user name or password")
    if parts.scheme != "https" and not is_loopback_host(parts.hostname):
        raise ValueError(
            "must be https:// (plain http only for a sandbox on this machine: localhost, "
            "127.0.0.1, ::1)"
        )
    return value


def platform_url(value: str | None, hosts: frozenset[str], what: str) -> str | None:
    """An override is a sandbox on this machine or exactly one of the platform's own hosts."""
    if value is None or is_loopback_host(urlsplit(value).hostname):
        return value
    if not is_official_host(value, hosts):
        raise ValueError(
            f"not {what}: expected https:// with one of {', '.join(sorted(hosts))} "
            "(or a sandbox on this machine)"
        )
    return value


def digits_as_text(value: Any) -> Any:
    """YAML reads an unquoted ``20061234567`` as a number; ids are text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


Email = Annotated[str, AfterValidator(_check_email)]
TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
WindowSpec = Annotated[str, AfterValidator(_check_window)]
HttpUrl = Annotated[str, AfterValidator(_check_url)]
NonEmpty = Annotated[str, Field(min_length=1)]
Port = Annotated[int, Field(ge=1, le=65535)]


class ConfigModel(BaseModel):
    """A configuration section: unknown keys are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class PlatformSettings(ConfigModel):
    """Base of a platform's section of a client file (`Platform.settings_model`)."""

    @classmethod
    def of(cls, client: ClientConfig) -> Self:
        """The client file's section of this platform.

        Raises:
            TypeError: the client is on another platform.
        """
        settings = client.settings
        if not isinstance(settings, cls):
            raise TypeError(f"a {client.platform} client has no {cls.__name__}")
        return settings


# -- shared ----------------------------------------------------------------------------------
class SmtpSettings(ConfigModel):
    """An SMTP relay. ``from`` is the envelope and header sender."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    smtp_host: NonEmpty
    smtp_port: Port = 587
    username: str | None = None
    password: SecretStr | None = None
    from_: Email = Field(alias="from")
    starttls: bool = True
    ssl: bool = False

    @model_validator(mode="after")
    def _one_tls_mode(self) -> SmtpSettings:
        if self.ssl and self.starttls:
            raise KeyRuleError(
                "choose one: ssl (implicit TLS, usually port 465) or starttls (usually port 587)",
                "ssl",
            )
        if self.password is not None and not self.username:
            raise KeyRuleError("a password needs a username", "username", "password")
        if (
            self.username
            and not (self.ssl or self.starttls)
            and not is_loopback_host(self.smtp_host)
        ):
            raise KeyRuleError(
                "a login is only sent over TLS: set starttls: true (port 587) or ssl: true "
                "(port 465); plain SMTP only to a relay on this machine",
                "starttls",
                "username",
            )
        return self


# -- connector.yaml --------------------------------------------------------------------------
class HolidaySettings(ConfigModel):
    """Days on which no reminder goes out, on top of weekends."""

    country: NonEmpty = "NL"
    extra: tuple[date, ...] = ()
    working_days: tuple[date, ...] = ()

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        import holidays as holidays_pkg

        value = value.upper()
        if value not in holidays_pkg.list_supported_countries():
            raise ValueError("not a country the holidays package knows (use e.g. NL, BE, DE)")
        return value


class ScheduleSettings(ConfigModel):
    every_minutes: int = Field(default=60, ge=1)
    jitter_seconds: int = Field(default=300, ge=0)
    max_concurrent_clients: int = Field(default=4, ge=1)


class AlertSettings(ConfigModel):
    email: Email | None = None
    after_failures: int = Field(default=3, ge=1)


class HttpSettings(ConfigModel):
    listen: str = "127.0.0.1:8089"

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError("expected HOST:PORT, e.g. 127.0.0.1:8089")
        return value

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


class WebhookListenerSettings(ConfigModel):
    """A platform's section of connector.yaml (Exact's `exact:`) setting `dunning serve`'s
    webhook listener (off unless `webhook_listen` is set). It is its own port, apart from
    `http.listen` (health, metrics), because it is the one meant to be reachable from outside
    (through a TLS reverse proxy)."""

    webhook_listen: str | None = None
    webhook_max_connections: int = Field(default=32, ge=1, le=1024)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("webhook_listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        return None if value is None else HttpSettings._host_port(value)


class ConsoleSettings(ConfigModel):
    """connector.yaml's `console:` section: `dunning serve` runs the web console too when it is
    set. `public_url` is the address people open (behind a TLS reverse proxy in production): it
    is used for redirects and links, and https there makes the session cookie Secure."""

    listen: str = "127.0.0.1:8080"
    public_url: str | None = None
    #: how long a link to a customer's own page (`/p/<token>`, in every reminder) stays valid
    page_link_days: int = Field(default=60, ge=1, le=366)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        return HttpSettings._host_port(value)

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        scheme, sep, rest = value.partition("://")
        if scheme not in ("http", "https") or not sep or not rest or rest.startswith("/"):
            raise ValueError("expected the console's address, e.g. https://dunning.example.nl")
        return value.rstrip("/")

    @property
    def secure(self) -> bool:
        """Whether people reach the console over https (the session cookie is then Secure)."""
        return bool(self.public_url and self.public_url.startswith("https://"))


class ConnectorConfig(ConfigModel):
    """`connector.yaml`: settings shared by all clients of one installation.

    After `load_config`, `database_url` is the effective URL (env ``DATABASE_URL`` applied, a
    relative SQLite path made absolute against the config directory) and `secret_key_file` is
    an absolute path (relative ones are taken against the config directory).
    """

    database_url: NonEmpty = "sqlite:///data/dunning.db"
    secret_key_file: NonEmpty = "secret.key"  # noqa: S105 - a file name
    timezone: TimeZoneName = DEFAULT_TIMEZONE
    sending_window: WindowSpec = DEFAULT_SENDING_WINDOW
    holidays: HolidaySettings = HolidaySettings()
    schedule: ScheduleSettings = ScheduleSettings()
    full_reconcile_every_hours: int = Field(default=24, ge=1)
    log_format: Literal["text", "json"] = "text"
    alerts: AlertSettings = AlertSettings()
    mail: SmtpSettings | None = None
    http: HttpSettings = HttpSettings()
    console: ConsoleSettings | None = None
    # each installed platform with a `Platform.service_settings_model` adds its section, named
    # after it (`connector_model`)

    def platform_section(self, name: str) -> BaseModel | None:
        """Platform `name`'s section of connector.yaml (its `Platform.service_settings_model`)."""
        section = getattr(self, name, None) if name not in ConnectorConfig.model_fields else None
        return section if isinstance(section, BaseModel) else None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> ConnectorConfig:
        """Validate with the installed platforms' sections (`connector_model`)."""
        if cls is ConnectorConfig:
            return connector_model().model_validate(obj, **kwargs)
        return super().model_validate(obj, **kwargs)

    @model_validator(mode="after")
    def _alerts_need_mail(self) -> ConnectorConfig:
        if self.alerts.email and self.mail is None:
            raise KeyRuleError(
                "alert mail needs an SMTP relay: add a 'mail:' section", "mail", "alerts.email"
            )
        if self.console is not None and self.console.listen == self.http.listen:
            raise KeyRuleError(
                "the console needs its own port, apart from http.listen (metrics)",
                "console.listen",
            )
        for name in type(self).model_fields:
            section = self.platform_section(name)
            if (
                isinstance(section, WebhookListenerSettings)
                and section.webhook_listen
                and section.webhook_listen == self.http.listen
            ):
                raise KeyRuleError(
                    "the webhook listener needs its own port, apart from http.listen (metrics)",
                    f"{name}.webhook_listen",
                )
        return self


def connector_model() -> type[ConnectorConfig]:
    """`ConnectorConfig` with the section of each installed platform that has one (its
    `Platform.service_settings_model`, defaults when the file leaves it out)."""
    from connector.platforms.registry import platforms

    sections = tuple(
        (name, p.service_settings_model)
        for name, p in sorted(platforms().items())
        if p.service_settings_model is not None
    )
    return _connector_model(sections)


@functools.cache
def _connector_model(sections: tuple[tuple[str, type[BaseModel]], ...]) -> type[ConnectorConfig]:
    fields: dict[str, Any] = {name: (model, model()) for name, model in sections}
    return create_model(
        "ConnectorConfig[" + ",".join(fields) + "]",
        __base__=ConnectorConfig,
        __module__=__name__,
        **fields,
    )


# -- clients/<slug>.yaml ---------------------------------------------------------------------
class PolicyOverrides(ConfigModel):
    min_balance: Decimal = Field(default=Decimal("5.00"), ge=0)
    thank_you: Literal["reminded", "every", "never"] = "reminded"


def _check_iban(value: str) -> str:
    from connector.domain.iban import iban_problem, normalise_iban

    problem = iban_problem(value)
    if problem:
        raise ValueError(problem)
    return normalise_iban(value)


def _check_bic(value: str) -> str:
    value = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?", value):
        raise ValueError("not a BIC (8 or 11 characters, e.g. ABNANL2A)")
    return value


class Sender(ConfigModel):
    """Who the reminders come from, as shown in the letter, and where to pay (issue #16)."""

    name: NonEmpty
    email: Email
    phone: str | None = None
    address: str | None = None
    #: the account customers pay into, named in every reminder, statement and letter
    #: (checked with mod-97 when the file is loaded)
    iban: Annotated[str, AfterValidator(_check_iban)] | None = None
    #: the account holder's name as the bank knows it; default: `name`
    account_holder: str | None = None
    bic: Annotated[str, AfterValidator(_check_bic)] | None = None

    @property
    def holder(self) -> str:
        return self.account_holder or self.name

    def as_dict(self) -> dict[str, str | None]:
        """What templates see as `sender` (the IBAN in its grouped print form)."""
        from connector.domain.iban import format_iban

        return {
            "name": self.name,
            "email": self.email,
            "phone": self.phone,
            "iban": format_iban(self.iban) if self.iban else None,
            "account_holder": self.holder if self.iban else None,
            "bic": self.bic,
        }


class CustomerOverride(ConfigModel):
    """Per-customer exceptions, keyed by the platform's contact id."""

    reminders: bool = True
    profile: Literal["business", "consumer", "government"] | None = None
    language: Literal["nl", "en"] | None = None
    #: postal address for letters sent by (registered) post, lines separated by newlines
    address: str | None = None


# -- issue #4: policies per profile, late payers, collection-cost VAT --------------------------
ProfileName = Literal["business", "consumer", "government"]


class LatePayerRule(ConfigModel):
    """When a customer counts as a chronic late payer (for prepayment / credit hold): at least
    `min_invoices` paid invoices, of which at least `share_late` were paid late, or paid on
    average `average_days_late` days or more after the due date."""

    min_invoices: int = Field(default=3, ge=1)
    share_late: Decimal = Field(default=Decimal("0.5"), gt=0, le=1)
    average_days_late: int = Field(default=14, ge=1)
    #: a payment this many days or fewer after the due date does not count as late
    grace_days: int = Field(default=0, ge=0)


class LegalSettings(ConfigModel):
    """Collection law options of the client (the creditor)."""

    #: add VAT to collection costs: only when the client cannot reclaim VAT and declares so
    vat_on_collection_costs: bool = False
    vat_rate: Decimal = Field(default=Decimal("21"), ge=1, le=100)


class CustomerPageSettings(ConfigModel):
    """`customer_page:` what a customer may do on their own page (`/p/<token>`, issue #14)."""

    #: a promise to pay may name a day at most this many days ahead
    promise_max_days: int = Field(default=14, ge=1, le=90)


class PaymentPlanSettings(ConfigModel):
    """`payment_plans:` the limits within which a customer may propose a payment plan on their
    own page (issue #14). The connector computes the schedule; a proposal whose total is below
    `auto_approve_below` is approved at once, any other waits for the business (console or
    `dunning plans approve`). 0 (the default) means every plan needs the business's approval."""

    #: offer the plan form on the customer's page at all
    enabled: bool = True
    #: the most instalments a plan may have (at least 2: one instalment is a promise to pay)
    max_instalments: int = Field(default=6, ge=2, le=24)
    #: no instalment may be smaller than this (in the invoices' currency)
    min_instalment: Decimal = Field(default=Decimal("50"), ge=0)
    #: the last instalment falls at most this many days after the day the plan is proposed
    max_days: int = Field(default=180, ge=14, le=730)
    #: the first instalment falls at most this many days after the day the plan is proposed
    start_within_days: int = Field(default=30, ge=0, le=90)
    #: plans whose total is below this amount are approved without asking; 0: always ask
    auto_approve_below: Decimal = Field(default=Decimal("0"), ge=0)

    @model_validator(mode="after")
    def _start_within_length(self) -> PaymentPlanSettings:
        if self.start_within_days >= self.max_days:
            raise ValueError(
                f"start_within_days ({self.start_within_days}) must be less than max_days "
                f"({self.max_days}): the plan must fit after its first instalment"
            )
        return self


class ApprovalSettings(ConfigModel):
    """`approval: {required: true, notify: owner@acme.nl}`; `approval: required` and
    `approval: none` are short for `{required: true}` and `{required: false}`."""

    #: planned actions wait for `dunning approve` instead of going out
    required: bool = False
    #: who gets the daily digest of waiting actions (over the client's `mail:` relay, else the
    #: one in connector.yaml)
    notify: Email | None = None

    @model_validator(mode="before")
    @classmethod
    def _short_forms(cls, value: Any) -> Any:
        if value in ("required", "none"):
            return {"required": value == "required"}
        if not isinstance(value, dict):
            raise ValueError(
                "Input should be 'none' or 'required' (or {required: true, notify: ADDRESS})"
            )
        return value


class InboxSettings(ConfigModel):
    """The mailbox customers' replies arrive in (the client's `reply_to`), read over IMAP.

    Read only: the folder is opened read-only (no flag is set, nothing is moved or deleted);
    each message is handled once (its UID under the folder's UIDVALIDITY is remembered). IMAPS
    (implicit TLS, port 993) unless told otherwise; a login over plain IMAP only to a server on
    this machine.

    `ca_file`: a PEM file with the certificate(s) the server's certificate must chain to,
    trusted instead of the system's CAs: a mail server with a private CA or a self-signed
    certificate is trusted by naming it, never by switching verification off (relative paths
    are taken against the configuration directory)."""

    imap_host: NonEmpty
    #: default 993 with `ssl`, else 143
    imap_port: Port | None = None
    username: NonEmpty
    password: SecretStr
    ssl: bool = True
    starttls: bool = False
    folder: NonEmpty = "INBOX"
    ca_file: NonEmpty | None = None
    #: how long a reply pauses the customer's reminders (days, from the day it is read)
    pause_days: int = Field(default=7, ge=1, le=90)

    @property
    def port(self) -> int:
        return self.imap_port or (993 if self.ssl else 143)

    @model_validator(mode="after")
    def _tls(self) -> InboxSettings:
        if self.ssl and self.starttls:
            raise KeyRuleError(
                "choose one: ssl (IMAPS, usually port 993) or starttls (usually port 143)", "ssl"
            )
        if not (self.ssl or self.starttls) and not is_loopback_host(self.imap_host):
            raise KeyRuleError(
                "the password is only sent over TLS: set ssl: true (IMAPS, port 993) or "
                "starttls: true; plain IMAP only to a server on this machine",
                "ssl",
                "imap_host",
            )
        return self


#: Mollie's API host (`payments.api_url` may name it, or a sandbox on this machine)
MOLLIE_HOSTS = frozenset({"api.mollie.com"})


class PaymentSettings(ConfigModel):
    """`payments: {provider: mollie, api_key: ${MOLLIE_API_KEY}}`: pay links from a payment
    provider for the invoices whose platform gives none (Exact Online has no link field).

    `webhook_url` is where Mollie reaches `dunning serve`'s webhook listener for this client,
    as published (``https://hooks.example.nl/mollie/webhook/<client>``); without it no paid
    notification arrives and the ledger's own payment sync is the only news of a payment."""

    provider: Literal["mollie"]
    api_key: SecretStr
    #: override of Mollie's API host (a sandbox on this machine, in tests and the demo)
    api_url: str | None = None
    webhook_url: HttpUrl | None = None
    #: where the customer lands after paying (Mollie shows its own page without one)
    redirect_url: HttpUrl | None = None
    #: how many days a paid link holds the invoice's ladder while the ledger has not booked
    #: the payment yet; after that the ladder resumes (a payment Mollie took but nobody booked
    #: is for a person to find, not a reason to stop dunning for ever)
    pending_days: int = Field(default=7, ge=1, le=60)

    @field_validator("api_url")
    @classmethod
    def _mollie_host(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = _check_url(value)
        return platform_url(value, MOLLIE_HOSTS, "Mollie's API")


class ClientConfig(ConfigModel):
    """`clients/<slug>.yaml`: one client (tenant) of the consultant."""

    display_name: NonEmpty
    enabled: bool = True
    #: an installed platform (`connector.platforms.registry`); its section, named after it, is
    #: validated by the platform's own model (see `client_model`)
    platform: str
    mail: SmtpSettings | None = None
    policy: NonEmpty = "nl-b2b-standard"
    #: a different policy per customer profile (built-in name, name in config/policies/, or a
    #: .yaml path relative to the config directory); unnamed profiles use `policy`
    policies: dict[ProfileName, NonEmpty] = Field(default_factory=dict)
    policy_overrides: PolicyOverrides = PolicyOverrides()
    late_payers: LatePayerRule = LatePayerRule()
    legal: LegalSettings = LegalSettings()
    language: Literal["nl", "en"] = "nl"
    timezone: TimeZoneName | None = None
    sending_window: WindowSpec | None = None
    sender: Sender
    customers: dict[str, CustomerOverride] = Field(default_factory=dict)
    approval: ApprovalSettings = ApprovalSettings()
    #: where customers' replies go: the Reply-To of the mails the connector sends itself (a
    #: platform that sends the mails, like Zoho, takes no Reply-To in its documented API)
    reply_to: Email | None = None
    #: read `reply_to`'s mailbox: a reply pauses the customer and asks the business to answer
    inbox: InboxSettings | None = None
    #: pay links from a payment provider (issue #14); None: only the platform's own links
    payments: PaymentSettings | None = None
    #: what the customer's own page allows (issue #14)
    customer_page: CustomerPageSettings = CustomerPageSettings()
    #: the limits of a payment plan the customer proposes on their page (issue #14)
    payment_plans: PaymentPlanSettings = PaymentPlanSettings()

    _unresolved_env: tuple[str, ...] = PrivateAttr(default=())

    @property
    def unresolved_env(self) -> tuple[str, ...]:
        """``key.path (VARIABLE)`` for each environment reference left unresolved.

        Only a disabled client can have any (see `connector.config.loader`); its settings must
        not be used until they are resolved.
        """
        return self._unresolved_env

    # -- the client file's exceptions per customer (`customers:`), resolved in one place -------
    def profile_for(self, customer_ref: str, ledger: CustomerProfile) -> CustomerProfile:
        """The customer's profile: the client file's, else the ledger's (`ledger`)."""
        override = self.customers.get(customer_ref)
        return CustomerProfile(override.profile) if override and override.profile else ledger

    def language_for(self, customer_ref: str) -> str:
        """The language of the customer's documents: the client file's, else the client's."""
        override = self.customers.get(customer_ref)
        return override.language if override and override.language else self.language

    def address_for(self, customer_ref: str) -> str | None:
        """The customer's postal address in the client file, if it gives one (letters go there
        rather than to the platform's: see `connector.documents.letter_address`)."""
        override = self.customers.get(customer_ref)
        return override.address if override and override.address else None

    @field_validator("customers", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {digits_as_text(k): v for k, v in value.items()}
        return value

    @property
    def settings(self) -> BaseModel | None:
        """The platform's section (an instance of its `Platform.settings_model`)."""
        section = getattr(self, self.platform, None)
        return section if isinstance(section, BaseModel) else None

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> ClientConfig:
        """Validate with the model of the platform `obj` names (`client_model`)."""
        if cls is ClientConfig:
            platform = obj.get("platform") if isinstance(obj, dict) else None
            return client_model(platform if isinstance(platform, str) else None).model_validate(
                obj, **kwargs
            )
        return super().model_validate(obj, **kwargs)

    @field_validator("platform")
    @classmethod
    def _installed(cls, value: str) -> str:
        from connector.platforms.registry import known_names, platforms

        if value not in platforms():
            raise ValueError(f"not an installed platform (known: {known_names()})")
        return value

    @model_validator(mode="after")
    def _platform_sections(self) -> ClientConfig:
        from connector.platforms.registry import platforms

        installed = platforms()
        for name in installed:
            present = getattr(self, name, None) is not None
            if name == self.platform and not present:
                raise KeyRuleError(
                    f"platform is {self.platform!r}, so a '{name}:' section is required",
                    name,
                    "platform",
                )
            if name != self.platform and present:
                raise KeyRuleError(
                    f"platform is {self.platform!r}: remove this section (or change platform)",
                    name,
                )
        if self.inbox is not None and self.reply_to is None:
            raise KeyRuleError(
                "the inbox is read for customers' replies: set reply_to to its address",
                "reply_to",
                "inbox",
            )
        platform = installed[self.platform]
        if not platform.sends_reminders and self.mail is None:
            raise KeyRuleError(
                f"{platform.title} cannot send the reminders itself: a 'mail:' section is required",
                "mail",
                "platform",
            )
        return self


def client_model(platform: str | None) -> type[ClientConfig]:
    """`ClientConfig` with a section for each installed platform: the one `platform` names is
    validated by its `Platform.settings_model` (errors located under its key, like any other),
    the others only so that their presence is reported as "remove this section"."""
    from connector.platforms.registry import platforms

    return _client_model(platform, tuple(sorted(platforms().items())))


@functools.cache
def _client_model(
    platform: str | None, installed: tuple[tuple[str, Any], ...]
) -> type[ClientConfig]:
    sections: dict[str, Any] = {}
    for name, spec in installed:
        model = spec.settings_model if name == platform else Any
        sections[name] = (model | None, None)
    return create_model(
        f"ClientConfig[{platform}]", __base__=ClientConfig, __module__=__name__, **sections
    )
