"""What the connect page shows about a client's connection, and the console's side of the flow:
where the callback is (the console's own public URL), the pending consents of this console
process, and the client configuration refreshed after the console wrote a client file."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from fastapi import Request

from connector.auth.web import ConsentStates, Target
from connector.config.environment import process_env
from connector.config.models import ClientConfig
from connector.console.deps import ConsoleContext
from connector.platforms.registry import platforms
from connector.platforms.spec import Platform


@dataclass(frozen=True)
class Connection:
    """The stored connection in plain words."""

    connected: bool
    needs_consent: bool
    since: datetime | None


def consent_states(request: Request) -> ConsentStates:
    """This console's pending consents (one set per application)."""
    states = getattr(request.app.state, "consents", None)
    if not isinstance(states, ConsentStates):
        states = ConsentStates()
        request.app.state.consents = states
    return states


def callback_url(ctx: ConsoleContext, request: Request, platform: str) -> str:
    """The console's own ``/oauth/callback/<platform>``, on `console.public_url` when set (the
    address behind the reverse proxy), else on the address this request came to."""
    base = ctx.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base.rstrip('/')}/oauth/callback/{platform}"


def platform_of(client: ClientConfig) -> Platform | None:
    return platforms().get(client.platform)


def target(ctx: ConsoleContext, slug: str, client: ClientConfig) -> Target:
    return Target(slug, client, ctx.app.tokens, ctx.clock, ctx.app.config_dir, process_env())


def connection(ctx: ConsoleContext, slug: str) -> Connection:
    record = ctx.app.tokens.get(slug)
    if record is None:
        return Connection(False, False, None)
    return Connection(True, record.state == "consent_needed", record.last_refresh_at)


def remember(ctx: ConsoleContext, slug: str, client: ClientConfig | None) -> None:
    """The console's configuration after it wrote `slug`'s file (the next request sees it)."""
    if client is None:
        return
    loaded = ctx.app.config
    ctx.app.config = replace(loaded, clients={**loaded.clients, slug: client})
