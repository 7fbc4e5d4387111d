"""What a platform adapter tells the core about itself: one `Platform` per adapter package.

The core never imports an adapter. It finds each platform through the registry
(`connector.platforms.registry`, package entry points) and uses only what this description
offers: the model of the client file's section named after the platform, how to build the
`Ledger`, the OAuth login, the API quotas, and the optional extras (token keep-alive, webhooks,
CLI commands). Adding a platform is one package exporting one `Platform` and one entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

if TYPE_CHECKING:
    import typer

    from connector.config.models import ClientConfig, ConnectorConfig
    from connector.domain.clock import Clock
    from connector.domain.ports import Ledger
    from connector.http import HttpMetrics, LimiterFactory
    from connector.store.tokens import TokenRepository


class UnsupportedPlatform(Exception):
    """The platform cannot do what was asked (e.g. an option another platform's login takes)."""


class ConnectionIncomplete(Exception):
    """The client's connection lacks what is chosen when connecting (e.g. an Exact division
    picked after consent on the console); the message says what to do."""


@dataclass(frozen=True)
class LedgerRequest:
    """Everything a platform may use to build one client's `Ledger`.

    `settings` is the client file's platform section, an instance of `Platform.settings_model`.
    """

    slug: str
    client: ClientConfig
    settings: Any
    connector: ConnectorConfig
    tokens: TokenRepository
    clock: Clock
    metrics: HttpMetrics | None = None
    limiters: LimiterFactory | None = None

    @property
    def timezone(self) -> str:
        """The client's time zone, else the installation's."""
        return self.client.timezone or self.connector.timezone


@dataclass(frozen=True)
class LoginRequest:
    """`dunning auth login CLIENT`: run the authorization-code flow and store the tokens.

    `paste`: no browser and no local callback; the user pastes the redirected URL (or code).
    `division`: only for platforms with `Platform.takes_division`.
    """

    slug: str
    client: ClientConfig
    settings: Any
    tokens: TokenRepository
    clock: Clock
    open_browser: bool | Callable[[str], object] = True
    echo: Callable[[str], object] = print
    timeout: float = 300
    division: int | None = None
    paste: Callable[[], str] | None = None


@dataclass(frozen=True)
class Choice:
    """One option a person picks on the console's connect page (a Zoho data centre, an Exact
    division), in plain words: `label` is what the page shows, `notes` say why it matters
    ("in the client file"), `selected` is the option chosen unless the person changes it."""

    value: str
    label: str
    notes: tuple[str, ...] = ()
    selected: bool = False
    available: bool = True


@dataclass(frozen=True)
class WebLoginRequest:
    """One connect from the console: the consent happens in the person's browser and the
    platform redirects it to `redirect_uri`, the console's own ``/oauth/callback/<platform>``.

    `state` is the OAuth state the console made and keeps (bound to the browser session and the
    client); `before` is what the person picked before consent (`WebLogin.before`), if any."""

    slug: str
    client: ClientConfig
    settings: Any
    tokens: TokenRepository
    clock: Clock
    redirect_uri: str
    state: str
    before: str | None = None


@dataclass(frozen=True)
class WebLogin:
    """The authorization-code flow with the callback on the console's URL (no loopback
    listener: servers, Docker). The console keeps the state; the platform does the rest.

    Attributes:
        authorize_url: the consent page for the request (carrying its redirect URI and state).
        exchange: turns the callback's code (and its other parameters, e.g. Zoho's
            ``accounts-server``) into tokens and stores them as `login` does (`put_initial`).
        before: the question asked before consent (title, choices for the client's settings),
            e.g. Zoho's data centre; the chosen value arrives as `WebLoginRequest.before`.
        after: the question asked after consent (title, choices, whether several may be
            picked), e.g. the Exact divisions the new token can reach.
        settle: the picked `after` values (or [`before`] without an `after`) -> the client
            file's section keys to write (None: remove the key); may raise ValueError with a
            message for the person. Also does the bookkeeping `login` does after consent.
    """

    authorize_url: Callable[[WebLoginRequest], str]
    exchange: Callable[[WebLoginRequest, str, Mapping[str, str]], None]
    before: Callable[[Any], tuple[str, list[Choice]]] | None = None
    after: Callable[[WebLoginRequest], tuple[str, list[Choice], bool]] | None = None
    settle: Callable[[WebLoginRequest, list[str]], dict[str, Any]] | None = None


class KeepAlive(Protocol):
    """A token manager able to refresh a connection that has not been used for `age`."""

    def keep_alive(self, age: Any) -> bool: ...


#: `receive(path, body, secrets, trigger) -> (HTTP status, text)`: verify one POST; for a genuine
#: event call `trigger(client, content)`; `secrets` maps client name to its webhook secret
WebhookReceiver = Callable[
    [str, bytes, Mapping[str, str], Callable[[str, dict[str, Any]], None]], tuple[int, str]
]


@dataclass(frozen=True)
class Webhooks:
    """A platform's webhook receiver, served on `dunning serve`'s webhook listener under
    ``/<platform name>/``.

    `receiver(now)` makes the service's receiver (with its own memory of events seen, on the
    connector's clock); `secret(settings)` is a client's webhook secret (None: its events are
    refused); `max_body` bounds a request body.
    """

    receiver: Callable[[Callable[[], datetime]], WebhookReceiver]
    secret: Callable[[Any], str | None]
    max_body: int
    #: how the listener's log line names the endpoint, e.g. ``/exact/webhook/<client>``
    path_hint: str


def _no_budget(settings: Any) -> int | None:
    return None


def _no_keys(settings: Any) -> list[tuple[str, str]]:
    return []


@dataclass(frozen=True)
class Platform:
    """One accounting platform, as the core sees it.

    Attributes:
        name: The `platform:` value of a client file, and the name of its section there.
        title: How messages name the platform ("Zoho Books").
        settings_model: The pydantic model of the client file's section `name`; the config
            loader validates it with located errors (file, key, line), like every other key.
        build_ledger: The client's `Ledger`.
        login: The OAuth authorization-code flow; stores the tokens.
        daily_api_budget: The daily API quota for a client's settings (None: not known); the
            budget alert uses it.
        ledger_keys: (key path inside the section, identity) per organisation the settings
            follow: two enabled client files on one identity are refused (double dunning).
        sends_reminders: False when the platform cannot send reminders itself: the client file
            then needs a `mail:` relay.
        profiles_known: False when the ledger does not say whether a customer is a person or a
            company (`dunning doctor` then asks for `customers: {ID: {profile: ...}}`).
        takes_division: the login takes `--division`.
        keep_alive: for platforms whose refresh tokens lapse when unused: the token manager of a
            client's connection (`connector.auth.upkeep` refreshes it daily).
        webhooks: the optional webhook receiver.
        cli: the optional extra commands, mounted as ``dunning <name> ...`` (built when the CLI
            starts, so importing the platform stays cheap).
        service_settings_model: the optional model of connector.yaml's section `name` (settings
            of the installation rather than of a client, e.g. Exact's webhook listener: a
            `connector.config.models.WebhookListenerSettings`).
        web_login: the optional flow for connecting from the web console (the callback on the
            console's own URL rather than a loopback listener).
    """

    name: str
    title: str
    settings_model: type[BaseModel]
    build_ledger: Callable[[LedgerRequest], Ledger]
    login: Callable[[LoginRequest], None]
    daily_api_budget: Callable[[Any], int | None] = _no_budget
    ledger_keys: Callable[[Any], list[tuple[str, str]]] = _no_keys
    sends_reminders: bool = True
    profiles_known: bool = True
    takes_division: bool = False
    keep_alive: Callable[[Any, TokenRepository, str, Clock], KeepAlive] | None = None
    webhooks: Webhooks | None = None
    cli: Callable[[], typer.Typer] | None = None
    service_settings_model: type[BaseModel] | None = None
    web_login: WebLogin | None = None
