"""Exact Online OAuth 2.0: the consent URL, the code exchange and a rotation-safe refresher.

Reference: /work/shared/reference/exact-online.md §1. Exact's rules, and what we do about them:
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
  database was never used, and the stored token is still live: once the marker is older than the
  lost attempt's patience (that attempt cannot still store and use its pair), the stored token is
  sent again, deliberately, and the chain goes on. Nothing is lost and no retired token is sent.
* ``immediate``: the stored token died when Exact issued the lost pair; sending it would only
  present a spent token, so it is not sent and the connection is marked "consent needed".

The fingerprint is a truncated SHA-256, never the token.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import urlencode

import requests

from connector.auth.tokens import (
    Refresher,
    TokenEndpointError,
    TokenErrorKind,
    TokenRefreshUnknown,
    TokenResponse,
)
from connector.http import HttpClient, redact, register_secret

log = logging.getLogger("adapters.exact.auth")

#: Exact's access tokens live 600 s; a refresh is allowed 570 s after the last one
ACCESS_TOKEN_SECONDS = 600
REFRESH_LEEWAY_SECONDS = 30

INTENT_KEY = "refresh_in_flight"
INTENT_AT_KEY = "refresh_in_flight_at"
#: how long another process may still be waiting for its refresh answer (connect + read
#: timeout of the token POST, plus margin); a marker younger than this is not a dead refresh
MARKER_PATIENCE = 60.0


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


def authorize_url(base_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    """The consent page. Exact has no scope parameter (scopes are set on the app) and no
    offline flag: every code grant comes with a refresh token."""
    query = {
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "state": state,
        "force_login": "0",
    }
    return base_url.rstrip("/") + "/api/oauth2/auth?" + urlencode(query)


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


def _post_token(http: HttpClient, base_url: str, form: Mapping[str, str]) -> dict[str, Any]:
    """POST the token form once and classify the answer. Never retried."""
    try:
        response = http.request(
            "POST",
            token_url(base_url),
            data=dict(form),
            retry=False,
            headers={"Accept": "application/json"},
        )
    except requests.ConnectTimeout:
        raise TokenEndpointError("other", "could not connect to Exact's token endpoint") from None
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TokenRefreshUnknown(
            f"no answer from Exact's token endpoint ({type(exc).__name__}); not resent"
        ) from None
    try:
        body = json.loads(response.content or b"", parse_float=Decimal)
    except ValueError:
        body = None
    if response.status_code >= 500 or (not isinstance(body, dict) and response.status_code < 400):
        raise TokenRefreshUnknown(
            f"Exact's token endpoint answered HTTP {response.status_code} without a usable "
            "answer; not resent"
        )
    if not isinstance(body, dict) or "error" in body or response.status_code >= 400:
        body = body if isinstance(body, dict) else {}
        error = str(body.get("error") or f"HTTP {response.status_code}")
        description = str(body.get("error_description") or "")
        reason = response.headers.get("Reason", "")
        kind = _kind(error, description, reason, response.status_code)
        raise TokenEndpointError(kind, redact(f"{error}: {description}" if description else error))
    return body


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
    raw = body.get("expires_in", ACCESS_TOKEN_SECONDS)
    try:
        expires_in = int(str(raw).strip())
    except ValueError:
        expires_in = ACCESS_TOKEN_SECONDS
    return TokenResponse(access_token=access, expires_in=expires_in, refresh_token=refresh)


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
) -> Refresher:
    """A `Refresher` for connector.auth.TokenManager (called under its lease).

    A marker for the token about to be sent means an earlier attempt sent it: younger than
    `patience` seconds, that attempt may still be waiting for its answer (its lease ran out), so
    this one gives up for now (`TokenRefreshUnknown`, nothing sent); older, the attempt died
    without storing the answer: with `recover` (rotation on first use) the token, still live, is
    sent again; without, the connection needs consent (``invalid_grant``).
    `hook(point)` is a test seam called at ``before_request`` and ``after_response``."""
    register_secret(client_secret)

    def refresh(refresh_token: str) -> TokenResponse:
        mark = fingerprint(refresh_token)
        found = intents.pending() if intents is not None else None
        if found is not None and found[0] == mark:
            at = found[1]
            if at is not None and now is not None and (now() - at).total_seconds() < patience:
                raise TokenRefreshUnknown(
                    "another process's refresh of this token may still be waiting for Exact's "
                    "answer; not sent again, try later"
                )
            if recover:
                log.warning(
                    "an earlier refresh of this connection's token ended without "
                    "storing Exact's answer; the new pair was never used, so the stored "
                    "refresh token is still valid and is sent again"
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
            body = _post_token(
                http,
                base_url,
                {
                    "grant_type": "refresh_token",
                    "refresh_token": refresh_token,
                    "client_id": client_id,
                    "client_secret": client_secret,
                },
            )
        except TokenEndpointError:
            if intents is not None:
                intents.set(None)  # a definite answer: the outcome is known
            raise
        answer = token_response(body)
        if hook is not None:
            hook("after_response")
        return answer

    return refresh


def exchange_code(
    http: HttpClient,
    base_url: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
) -> TokenResponse:
    """Exchange a one-time authorization code (valid ~3 minutes) for the first token pair."""
    register_secret(client_secret)
    body = _post_token(
        http,
        base_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "client_secret": client_secret,
        },
    )
    return token_response(body)
