"""Exact Online OAuth 2.0: the consent URL, the code exchange and a rotation-safe refresher.

Exact's rules (docs/exact-online.md "Token failures"; picqer/exact-php-client's Connection.php,
forums.invantive.com/t/2903), and what we do about them:
  * ``POST {host}/api/oauth2/token`` (form) answers ``expires_in`` as a *string* ("600");
  * every answer carries a new refresh token and the old one dies: a lost answer means the user
    must consent again ("Old refresh token used.", 401/400 ``unauthorized_client``). So:
    one refresher at a time (the lease in connector.auth.tokens.TokenManager), no retry of the
    POST (connector.http never retries a POST), and the new pair is committed before use;
  * a refresh within 570 s of the last one is refused (``access_denied`` with ``Reason:
    TooEarlyToRefreshTokens``): the TokenManager is built with a 30 s leeway on a 600 s token,
    so it never asks earlier than needed; such a refusal is "throttled", never "consent needed";
  * 200 token calls per user per day: we refresh only when the access token is about to expire.

Write-ahead marker (`RefreshIntents`): right before the POST the fingerprint of the refresh
token is stored; a definite answer clears it. If a later refresh finds the marker for the token
it is about to send, an earlier attempt died or timed out after sending, and Exact may have
issued a pair nobody stored. What happens then depends on when Exact retires a refresh token
(``exact.refresh_rotation`` in the client file; reference §1):

* ``on_first_use`` (default): Exact retires a refresh token once a *newer* token of the chain is
  first used, for a refresh or through its access token (Invantive, forums.invantive.com/t/2903).
  The connector commits every new pair before it uses it, so a pair that never reached the
  database was never used, and the stored token is still live: once the 570-second rule has
  passed since the marker (`RETRY_AFTER_UNKNOWN`; before that nothing is sent and the refresh is
  "throttled"), the stored token is sent again, once, and the chain goes on. If Exact answers
  "Old refresh token used." the connection is marked "consent needed" (no loop).
* ``immediate``: the stored token died when Exact issued the lost pair; sending it would only
  present a spent token, so it is not sent and the connection is marked "consent needed".

Before any of this the TokenManager commits an answer that was received but not committed (the
fsynced local token file, or the journal): see connector.auth.tokens.recover_answers. A failure
before anything was sent (`never_sent`: refused, DNS, connect timeout, TLS handshake) is
definite: the marker is cleared and the stored token stays valid.

The fingerprint is a truncated SHA-256, never the token.

The URL, the state and the token calls go through authlib's `OAuth2Session`
(connector.auth.oauth.OAuthSession, sent by connector.http: timeouts, no resend of the POST,
redaction); `check_token_answer` is its compliance hook, classifying Exact's answers before
authlib parses them (and refusing an answer without a new refresh token, which authlib would
otherwise fill with the spent one).
"""

from __future__ import annotations

import hashlib
import logging
import ssl
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

import requests
import urllib3

from connector.auth.oauth import OAuthSession, answer_json, set_json
from connector.auth.tokens import (
    Refresher,
    TokenEndpointError,
    TokenErrorKind,
    TokenRefreshUnknown,
    TokenResponse,
)
from connector.http import HttpClient
from connector.logs.redact import redact, register_secret

log = logging.getLogger("adapters.exact.auth")

#: Exact's access tokens live 600 s; a refresh is allowed 570 s after the last one
ACCESS_TOKEN_SECONDS = 600
REFRESH_LEEWAY_SECONDS = 30

INTENT_KEY = "refresh_in_flight"
INTENT_AT_KEY = "refresh_in_flight_at"
#: how long another process may still be waiting for its refresh answer (connect + read
#: timeout of the token POST, plus margin); a marker younger than this is not a dead refresh
MARKER_PATIENCE = 60.0
#: after a refresh with an unknown outcome the stored token is tried again (once) only this many
#: seconds after the marker was set: Exact's 570-second rule, counted from the latest moment the
#: lost request can have been processed (the marker plus the token POST's 30 s read timeout)
RETRY_AFTER_UNKNOWN = 570.0 + 30.0


class RefreshIntents(Protocol):
    """Where the write-ahead "refresh in flight" marker lives (the token row's `extra`)."""

    def pending(self) -> tuple[str, datetime | None] | None:
        """(fingerprint, when it was set) of the marker, or None."""
        ...

    def set(self, fingerprint: str | None) -> None: ...


class StoreIntents:
    """`RefreshIntents` on connector.store.tokens.TokenRepository (``extra`` of the row)."""

    def __init__(
        self, store: Any, tenant: str, connection: str, now: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.tenant = tenant
        self.connection = connection
        self.now = now

    def pending(self) -> tuple[str, datetime | None] | None:
        record = self.store.get(self.tenant, self.connection)
        extra = getattr(record, "extra", None) or {}
        value = extra.get(INTENT_KEY)
        if not value:
            return None
        try:
            at = datetime.fromisoformat(str(extra.get(INTENT_AT_KEY)))
        except ValueError:
            at = None
        return str(value), at

    def set(self, fingerprint: str | None) -> None:
        stamp = self.now().isoformat() if fingerprint else None
        self.store.set_extra(
            self.tenant,
            self.connection,
            {INTENT_KEY: fingerprint, INTENT_AT_KEY: stamp},
            self.now(),
        )


def fingerprint(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:24]


def token_url(base_url: str) -> str:
    return base_url.rstrip("/") + "/api/oauth2/token"


def oauth_session(
    http: HttpClient, client_id: str, client_secret: str, redirect_uri: str | None = None
) -> OAuthSession:
    """authlib's session for Exact: the secret in the form, `check_token_answer` as the
    compliance hook, every request sent by `http` (never resent)."""
    return OAuthSession(
        http, client_id, client_secret, redirect_uri=redirect_uri, check=check_token_answer
    )


def authorize_url(oauth: OAuthSession, base_url: str, state: str | None = None) -> tuple[str, str]:
    """The consent page and its state (made by authlib unless given). Exact has no scope
    parameter (scopes are set on the app) and no offline flag: every code grant comes with a
    refresh token."""
    url, made = oauth.create_authorization_url(
        base_url.rstrip("/") + "/api/oauth2/auth", state=state, force_login="0"
    )
    return str(url), str(made)


def _kind(error: str, description: str, reason: str, status: int) -> TokenErrorKind:
    text = f"{error} {description} {reason}".lower()
    if (
        "tooearly" in text
        or "not expired" in text
        or "toomanytokenrequests" in text
        or "token request limit" in text
        or status == 429
    ):
        return "throttled"
    if error in ("invalid_grant", "unauthorized_client") or "refresh token" in text:
        # "Old refresh token used.", "The refresh token expired at …", "Invalid refresh token."
        return "invalid_grant"
    if error == "invalid_client":
        return "invalid_client"
    return "other"


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and every exception behind it (causes, contexts, urllib3's wrapped `reason`)."""
    out: list[BaseException] = []
    stack: list[BaseException | None] = [exc]
    while stack:
        item = stack.pop()
        if item is None or any(item is seen for seen in out):
            continue
        out.append(item)
        reason = getattr(item, "reason", None)
        stack.extend([item.__cause__, item.__context__])
        stack.extend(a for a in item.args if isinstance(a, BaseException))
        if isinstance(reason, BaseException):
            stack.append(reason)
    return out


def _raised_in(exc: BaseException, function: str) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == function:
            return True
        tb = tb.tb_next
    return False


def never_sent(exc: BaseException) -> str | None:
    """Why the request certainly never left this machine, or None if it may have reached Exact.

    Before anything is sent: the connection was refused or timed out while connecting
    (urllib3's `NewConnectionError`/`ConnectTimeoutError`), the host name did not resolve
    (`NameResolutionError`), or the TLS handshake failed (certificate, protocol). After the
    request was written (a read timeout, a reset or a close while waiting for the answer) Exact
    may have processed it: that is an unknown outcome."""
    chain = _chain(exc)
    for item in chain:
        if isinstance(item, urllib3.exceptions.NameResolutionError):
            return "host name not resolved"
    for item in chain:
        if isinstance(item, urllib3.exceptions.NewConnectionError):
            return "connection refused or not established"
    for item in chain:
        if isinstance(item, urllib3.exceptions.ConnectTimeoutError | requests.ConnectTimeout):
            return "connect timeout"
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError | ssl.CertificateError):
            return "TLS certificate refused"
        if isinstance(item, ssl.SSLError) and _raised_in(item, "do_handshake"):
            return "TLS handshake failed"
    return None


def check_token_answer(response: requests.Response) -> requests.Response:
    """authlib compliance hook (``access_token_response``, ``refresh_token_response``):
    classify Exact's answer before authlib parses it.

    Raises:
        TokenEndpointError: a definite refusal, with its kind (throttled: the 570-second rule or
            the daily limit; invalid_grant: "Old refresh token used." and the like).
        TokenRefreshUnknown: HTTP 5xx or no usable answer (Exact may have issued a pair), or a
            pair without a refresh token (authlib would fill in the spent one).
    """
    body = answer_json(response)
    status = response.status_code
    if status >= 500 and body is not None and body.get("error"):
        # Exact's token service itself answered with an OAuth error: a definite refusal
        raise TokenEndpointError("other", redact(f"HTTP {status}: {body.get('error')}"))
    if status >= 500 or (body is None and status < 400):
        raise TokenRefreshUnknown(
            f"Exact's token endpoint answered HTTP {status} without a usable answer; not resent"
        )
    if body is None or "error" in body or status >= 400:
        body = body or {}
        error = str(body.get("error") or f"HTTP {status}")
        description = str(body.get("error_description") or "")
        reason = response.headers.get("Reason", "")
        kind = _kind(error, description, reason, status)
        raise TokenEndpointError(kind, redact(f"{error}: {description}" if description else error))
    access = body.get("access_token")
    refresh = body.get("refresh_token")
    if isinstance(access, str) and access:
        register_secret(access)
        if not isinstance(refresh, str) or not refresh:
            # Exact always rotates; an answer without one would leave us with a spent token
            raise TokenRefreshUnknown("Exact's token answer has no refresh_token")
    return set_json(response, {**body, "expires_in": _expires_in(body)})


def _expires_in(body: Mapping[str, Any]) -> int:
    raw = body.get("expires_in", ACCESS_TOKEN_SECONDS)
    try:
        return int(str(raw).strip())
    except ValueError:
        return ACCESS_TOKEN_SECONDS


def _call(send: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    """Run one authlib token call; a transport failure becomes our error. Never resent."""
    try:
        return send()
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
    ) as exc:
        raise TokenEndpointError(
            "other", f"Exact's token endpoint URL is not usable ({type(exc).__name__})"
        ) from None
    except (requests.Timeout, requests.ConnectionError) as exc:
        reason = never_sent(exc)
        if reason is not None:
            # definite: nothing reached Exact, so the refresh token is untouched
            raise TokenEndpointError(
                "other", f"could not reach Exact's token endpoint ({reason}); nothing was sent"
            ) from None
        raise TokenRefreshUnknown(
            f"no answer from Exact's token endpoint ({type(exc).__name__}); not resent"
        ) from None


def token_response(body: Mapping[str, Any]) -> TokenResponse:
    """Exact's answer -> TokenResponse; ``expires_in`` is a string ("600")."""
    access = body.get("access_token")
    refresh = body.get("refresh_token")
    if not isinstance(access, str) or not access:
        raise TokenEndpointError("other", "answer without access_token")
    register_secret(access)
    if not isinstance(refresh, str) or not refresh:
        # Exact always rotates; an answer without one would leave us with a spent token
        raise TokenRefreshUnknown("Exact's token answer has no refresh_token")
    register_secret(refresh)
    return TokenResponse(access_token=access, expires_in=_expires_in(body), refresh_token=refresh)


Hook = Callable[[str], None]


def exact_refresher(
    http: HttpClient,
    base_url: str,
    client_id: str,
    client_secret: str,
    *,
    intents: RefreshIntents | None = None,
    hook: Hook | None = None,
    now: Callable[[], datetime] | None = None,
    patience: float = MARKER_PATIENCE,
    recover: bool = True,
    retry_after: float = RETRY_AFTER_UNKNOWN,
) -> Refresher:
    """A `Refresher` for connector.auth.TokenManager (called under its lease).

    A marker for the token about to be sent means an earlier attempt sent it: younger than
    `patience` seconds, that attempt may still be waiting for its answer (its lease ran out), so
    this one gives up for now (`TokenRefreshUnknown`, nothing sent); older, the attempt died
    without storing the answer: with `recover` (rotation on first use) the token, still live, is
    sent again once `retry_after` seconds have passed since the marker (Exact's 570-second rule;
    before that the refresh is "throttled" and nothing is sent), and if Exact then answers "Old
    refresh token used." the TokenManager marks the connection "consent needed" (no loop);
    without `recover`, the connection needs consent (``invalid_grant``) at once.
    A failure before anything was sent (`never_sent`) is definite: the marker is cleared and the
    stored token stays the one to use.
    `hook(point)` is a test seam called at ``before_request`` and ``after_response``."""
    register_secret(client_secret)

    def refresh(refresh_token: str) -> TokenResponse:
        mark = fingerprint(refresh_token)
        found = intents.pending() if intents is not None else None
        if found is not None and found[0] == mark:
            at = found[1]
            age = (now() - at).total_seconds() if at is not None and now is not None else None
            if age is not None and age < patience:
                raise TokenRefreshUnknown(
                    "another process's refresh of this token may still be waiting for Exact's "
                    "answer; not sent again, try later"
                )
            if recover:
                if age is not None and at is not None and age < retry_after:
                    # Exact may have issued a pair at `at` (+ the read timeout): a refresh
                    # before the 570-second rule has passed would only be refused as too early
                    raise TokenEndpointError(
                        "throttled",
                        "waiting out Exact's 570-second rule after a refresh whose answer was "
                        "lost; the stored refresh token is tried once after "
                        f"{(at + timedelta(seconds=retry_after)):%H:%M:%S} UTC",
                    )
                log.warning(
                    "an earlier refresh of this connection's token ended without "
                    "storing Exact's answer; the new pair was never used, so the stored "
                    "refresh token is still valid and is sent again, once"
                )
            else:
                raise TokenEndpointError(
                    "invalid_grant",
                    "an earlier refresh with this refresh token was interrupted after it may have "
                    "reached Exact; with refresh_rotation: immediate the token is spent, so it is "
                    "not sent again",
                )
        if hook is not None:
            hook("before_request")
        if intents is not None:
            intents.set(mark)
        try:
            with oauth_session(http, client_id, client_secret) as oauth:
                token = _call(
                    lambda: oauth.refresh_token(token_url(base_url), refresh_token=refresh_token)
                )
        except TokenEndpointError:
            if intents is not None:
                intents.set(None)  # a definite answer: the outcome is known
            raise
        answer = token_response(token)
        if hook is not None:
            hook("after_response")
        return answer

    return refresh


def exchange_code(oauth: OAuthSession, base_url: str, code: str) -> TokenResponse:
    """Exchange a one-time authorization code (valid ~3 minutes) for the first token pair.
    `oauth` is the session that made the consent URL (its redirect URI is sent again)."""
    token = _call(lambda: oauth.fetch_token(token_url(base_url), code=code))
    return token_response(token)
