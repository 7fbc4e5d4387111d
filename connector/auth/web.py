"""Connecting a client from the web console: the authorization-code flow with the callback on
the console's own URL (``/oauth/callback/<platform>``), for servers and containers where the
CLI's loopback listener (`connector.auth.login`) cannot be reached by the browser.

1. `ConsentStates.start` makes the consent URL (`Platform.web_login.authorize_url`) with a fresh
   random state, kept here together with the console session it belongs to, the client, the
   platform, the redirect URI and what was picked before consent (Zoho's data centre).
2. The platform sends the browser back with ``code`` and ``state``. `ConsentStates.take` hands
   the pending consent out once (single use), only to the same session and for the same
   platform, and only within `STATE_TTL`; anything else is refused as a possible forgery.
3. `finish` exchanges the code and stores the tokens exactly as `dunning auth login` does
   (`TokenRepository.put_initial`: lease, version and journal untouched), then either settles at
   once or asks the platform's question after consent (Exact's divisions, `choose`).
4. `choose` settles: the platform checks the picks and says which keys of the client file's
   section change; `connector.config.writer.update_client_section` writes them, validated.

The states live in this process (the console is one process; a restart forgets pending consents
and the person starts again). No secret is kept here: the code is exchanged at once and the
tokens go to the store, encrypted.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from connector.auth.tokens import TokenError
from connector.config.errors import ConfigError
from connector.config.models import ClientConfig
from connector.config.writer import update_client_section
from connector.domain.clock import Clock
from connector.domain.ports import LedgerError
from connector.platforms.spec import Choice, Platform, WebLogin, WebLoginRequest
from connector.store.tokens import TokenRepository

#: how long a consent may take from the connect page to the callback, and from the callback to
#: the choice after consent
STATE_TTL = timedelta(minutes=10)


class ConnectError(Exception):
    """The connect did not complete; the message is for the person on the page."""


@dataclass(frozen=True)
class Question:
    """What the connect page asks (before consent: Zoho's data centre; after: Exact's
    divisions)."""

    title: str
    choices: list[Choice]
    multiple: bool = False


@dataclass(frozen=True)
class PendingConsent:
    state: str
    binding: str
    slug: str
    platform: str
    redirect_uri: str
    before: str | None
    at: datetime


@dataclass(frozen=True)
class Outcome:
    """After the callback: `question` is asked before the connection is complete (None: done);
    `changed` are the client file's keys written."""

    slug: str
    question: Question | None = None
    changed: dict[str, object] = field(default_factory=dict)
    #: the client file as written (None: unchanged)
    client: ClientConfig | None = None


@dataclass(frozen=True)
class Target:
    """The client being connected, as the console has it."""

    slug: str
    client: ClientConfig
    tokens: TokenRepository
    clock: Clock
    config_dir: Path
    #: the environment the client file's ${NAME} references are resolved in (the console's)
    env: Mapping[str, str]


def web_login_of(platform: Platform) -> WebLogin:
    if platform.web_login is None:
        raise ConnectError(
            f"{platform.title} cannot be connected from the console yet; "
            "use `dunning auth login` on the server"
        )
    return platform.web_login


def question_before(platform: Platform, client: ClientConfig) -> Question | None:
    """The connect page's question before consent, if the platform has one."""
    web = web_login_of(platform)
    if web.before is None or client.settings is None:
        return None
    title, choices = web.before(client.settings)
    return Question(title, choices)


def _request(target: Target, redirect_uri: str, state: str, before: str | None) -> WebLoginRequest:
    return WebLoginRequest(
        slug=target.slug,
        client=target.client,
        settings=target.client.settings,
        tokens=target.tokens,
        clock=target.clock,
        redirect_uri=redirect_uri,
        state=state,
        before=before,
    )


def _usable(platform: Platform, target: Target) -> WebLogin:
    web = web_login_of(platform)
    if target.client.platform != platform.name or target.client.settings is None:
        raise ConnectError(f"{target.slug} is not a {platform.title} client")
    if target.client.unresolved_env:
        names = ", ".join(
            sorted({u.split("(")[-1].rstrip(")") for u in target.client.unresolved_env})
        )
        raise ConnectError(
            f"set {names} in the console's environment first (the client file refers to it)"
        )
    return web


class ConsentStates:
    """The consents started on this console and not finished yet: single use, bound to the
    console session and the client, expiring after `ttl`."""

    def __init__(self, ttl: timedelta = STATE_TTL) -> None:
        self.ttl = ttl
        self._pending: dict[str, PendingConsent] = {}
        self._asked: dict[tuple[str, str], PendingConsent] = {}
        self._lock = threading.Lock()

    def start(
        self,
        platform: Platform,
        target: Target,
        *,
        redirect_uri: str,
        binding: str,
        before: str | None = None,
    ) -> str:
        """The consent page's URL for this client, with a new state bound to `binding`."""
        web = _usable(platform, target)
        question = question_before(platform, target.client)
        if question is not None:
            values = {c.value for c in question.choices if c.available}
            default = next((c.value for c in question.choices if c.selected), None)
            before = before or default
            if before not in values:
                raise ConnectError(f"choose a {question.title.lower()} from the list")
        elif before is not None:
            before = None
        state = secrets.token_urlsafe(32)
        now = target.clock.now()
        pending = PendingConsent(
            state, binding, target.slug, platform.name, redirect_uri, before, now
        )
        try:
            url = web.authorize_url(_request(target, redirect_uri, state, before))
        except ValueError as exc:
            raise ConnectError(str(exc)) from None
        with self._lock:
            self._forget_old(now)
            self._pending[state] = pending
        return url

    def take(self, state: str, *, binding: str, platform: str, now: datetime) -> PendingConsent:
        """The pending consent of `state`, handed out once.

        Raises:
            ConnectError: unknown or used state, another session's, another platform's, or
                expired.
        """
        with self._lock:
            pending = self._pending.pop(state, None) if state else None
            self._forget_old(now)
        if (
            pending is None
            or not secrets.compare_digest(pending.binding, binding)
            or pending.platform != platform
        ):
            raise ConnectError(
                "this answer from the platform does not belong to a connect started in this "
                "browser session (or it was used already); start the connect again"
            )
        if now - pending.at > self.ttl:
            raise ConnectError("the connect took too long; start it again")
        return pending

    def asked(self, binding: str, slug: str, now: datetime) -> PendingConsent:
        """The finished consent whose question after consent is still open for this session."""
        with self._lock:
            pending = self._asked.get((binding, slug))
        if pending is None or now - pending.at > self.ttl:
            raise ConnectError("no connect is waiting for this choice; start the connect again")
        return pending

    def _forget_old(self, now: datetime) -> None:
        for key in [k for k, p in self._pending.items() if now - p.at > self.ttl]:
            del self._pending[key]
        for pair in [k for k, p in self._asked.items() if now - p.at > self.ttl]:
            del self._asked[pair]

    def finish(
        self,
        platform: Platform,
        pending: PendingConsent,
        target: Target,
        params: Mapping[str, str],
    ) -> Outcome:
        """Exchange the callback's code and store the tokens; then settle, or return the
        question after consent.

        Raises:
            ConnectError: consent denied, no code, the exchange refused, the settlement refused.
        """
        web = _usable(platform, target)
        if pending.slug != target.slug:  # pragma: no cover - the route looks the client up
            raise ConnectError("this answer belongs to another client")
        extra = dict(params)
        extra.pop("state", None)
        if "error" in extra:
            denied = extra["error"]
            raise ConnectError(
                "access was not granted on the consent page; nothing was changed"
                if denied == "access_denied"
                else f"the platform refused the connect ({denied[:80]}); nothing was changed"
            )
        code = extra.pop("code", "")
        if not code:
            raise ConnectError("the platform's answer carried no authorization code")
        request = _request(target, pending.redirect_uri, pending.state, pending.before)
        try:
            web.exchange(request, code, extra)
        except TokenError as exc:
            raise ConnectError(f"the platform did not issue tokens: {exc}") from None
        if web.after is None:
            return self._settle(web, request, target, [])
        try:
            title, choices, multiple = web.after(request)
        except (LedgerError, TokenError) as exc:
            raise ConnectError(f"connected, but the platform's listing failed: {exc}") from None
        now = target.clock.now()
        with self._lock:
            self._asked[(pending.binding, target.slug)] = PendingConsent(
                pending.state,
                pending.binding,
                target.slug,
                platform.name,
                pending.redirect_uri,
                pending.before,
                now,
            )
        return Outcome(target.slug, Question(title, choices, multiple))

    def question_after(self, platform: Platform, target: Target, binding: str) -> Question:
        """The open question after consent, asked again (e.g. the page is reloaded)."""
        web = _usable(platform, target)
        pending = self.asked(binding, target.slug, target.clock.now())
        if web.after is None:  # pragma: no cover - only asked when there is one
            raise ConnectError("nothing to choose")
        request = _request(target, pending.redirect_uri, pending.state, pending.before)
        title, choices, multiple = web.after(request)
        return Question(title, choices, multiple)

    def choose(
        self, platform: Platform, target: Target, binding: str, picked: list[str]
    ) -> Outcome:
        """Settle the question after consent with the person's picks.

        Raises:
            ConnectError: no such open question, or a pick the platform refuses.
        """
        web = _usable(platform, target)
        pending = self.asked(binding, target.slug, target.clock.now())
        request = _request(target, pending.redirect_uri, pending.state, pending.before)
        outcome = self._settle(web, request, target, picked)
        with self._lock:
            self._asked.pop((binding, target.slug), None)
        return outcome

    @staticmethod
    def _settle(
        web: WebLogin, request: WebLoginRequest, target: Target, picked: list[str]
    ) -> Outcome:
        if web.settle is None:
            return Outcome(target.slug)
        try:
            values = web.settle(request, picked or ([request.before] if request.before else []))
        except ValueError as exc:
            raise ConnectError(str(exc)) from None
        except (LedgerError, TokenError) as exc:
            raise ConnectError(f"the platform's listing failed: {exc}") from None
        if not values:
            return Outcome(target.slug)
        section = target.client.platform
        try:
            client = update_client_section(
                target.config_dir, target.slug, section, values, target.env
            )
        except ConfigError as exc:
            raise ConnectError(
                f"connected, but the client file could not be updated: {exc}"
            ) from None
        changed: dict[str, object] = {f"{section}.{k}": v for k, v in values.items()}
        return Outcome(target.slug, None, changed, client)
