"""Moneybird OAuth 2.0: the consent URL with the documented scopes, the code exchange and the
refresher the token manager calls.

Moneybird (https://developer.moneybird.com/authentication): authorize at
``{accounts}/oauth/authorize``, tokens from ``{accounts}/oauth/token`` (form POST), scopes
separated by spaces. Sources disagree on whether access tokens expire (one integrator says never,
another one hour), so the answer's ``expires_in`` is honoured when present and an hour assumed
when it is absent: refreshing an hour-old token is harmless, using an expired one is a 401 (the
client then refreshes once and retries). The refresh token is kept either way; an answer that
carries a new one replaces it (rotation), one without keeps the old one.

The URL, the state and the token calls go through authlib's `OAuth2Session`
(connector.auth.oauth.OAuthSession, sent by connector.http: timeouts, no resend of the POST,
redaction); `check_token_answer` is its compliance hook.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import requests

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

#: what the adapter needs: sales invoices (read, send_reminders, pause/resume, notes) and
#: contacts (read, notes) are under ``sales_invoices``; ``settings`` for the administrations
#: (https://developer.moneybird.com/authentication lists the scopes)
SCOPES: tuple[str, ...] = ("sales_invoices", "settings")

#: assumed lifetime when the answer has no ``expires_in``
DEFAULT_EXPIRES_IN = 3600

_ERROR_KINDS: dict[str, TokenErrorKind] = {
    "invalid_grant": "invalid_grant",
    "invalid_token": "invalid_grant",
    "invalid_client": "invalid_client",
    "unauthorized_client": "invalid_client",
    "invalid_scope": "invalid_client",
}


def authorize_endpoint(accounts_url: str) -> str:
    return accounts_url.rstrip("/") + "/oauth/authorize"


def token_url(accounts_url: str) -> str:
    return accounts_url.rstrip("/") + "/oauth/token"


def oauth_session(
    http: HttpClient, client_id: str, client_secret: str, redirect_uri: str | None = None
) -> OAuthSession:
    """authlib's session for Moneybird: the secret in the form, `check_token_answer` as the
    compliance hook, every request sent by `http` (never resent)."""
    return OAuthSession(
        http, client_id, client_secret, redirect_uri=redirect_uri, check=check_token_answer
    )


def authorize_url(
    oauth: OAuthSession,
    accounts_url: str,
    scopes: Iterable[str] = SCOPES,
    state: str | None = None,
) -> tuple[str, str]:
    """The consent page URL and its state (made by authlib unless given)."""
    url, made = oauth.create_authorization_url(
        authorize_endpoint(accounts_url), state=state, scope=" ".join(scopes)
    )
    return str(url), str(made)


def _expires_in(body: Mapping[str, Any]) -> int:
    raw = body.get("expires_in")
    if raw is None or raw == "":
        return DEFAULT_EXPIRES_IN
    try:
        value = int(str(raw).strip())
    except ValueError:
        return DEFAULT_EXPIRES_IN
    return value if value > 0 else DEFAULT_EXPIRES_IN


def check_token_answer(response: requests.Response) -> requests.Response:
    """authlib compliance hook: classify Moneybird's answer before authlib parses it.

    Raises:
        TokenEndpointError: a refusal with its kind (``invalid_grant``: consent needed;
            ``invalid_client``; 429: throttled).
        TokenRefreshUnknown: HTTP 5xx or no usable answer (a token may have been issued).
    """
    body = answer_json(response)
    status = response.status_code
    if status >= 500 or (body is None and status < 400):
        raise TokenRefreshUnknown(
            f"Moneybird's token endpoint answered HTTP {status} without a usable answer; not resent"
        )
    if body is None or "error" in body or status >= 400:
        body = body or {}
        error = str(body.get("error") or f"HTTP {status}")
        kind = "throttled" if status == 429 else _ERROR_KINDS.get(error.strip().lower(), "other")
        description = str(body.get("error_description") or "")
        raise TokenEndpointError(kind, redact(f"{error}: {description}" if description else error))
    access = body.get("access_token")
    if isinstance(access, str) and access:
        register_secret(access)
    refresh = body.get("refresh_token")
    if isinstance(refresh, str) and refresh:
        register_secret(refresh)
    return set_json(response, {**body, "expires_in": _expires_in(body)})


def _call(send: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    """Run one authlib token call; a transport failure becomes our error. Never resent."""
    try:
        return send()
    except requests.ConnectTimeout:
        raise TokenEndpointError(
            "other", "could not connect to Moneybird's token endpoint"
        ) from None
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TokenRefreshUnknown(
            f"no answer from Moneybird's token endpoint ({type(exc).__name__}); not resent"
        ) from None


def token_response(token: Mapping[str, Any], sent_refresh: str | None = None) -> TokenResponse:
    """authlib's token -> TokenResponse. authlib fills a refresh answer's missing
    ``refresh_token`` with the one sent: that is reported as None (the store keeps it)."""
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        raise TokenEndpointError("other", "answer without access_token")
    refresh = token.get("refresh_token")
    if not isinstance(refresh, str) or not refresh or refresh == sent_refresh:
        refresh = None
    register_secret(access)
    register_secret(refresh)
    return TokenResponse(access_token=access, expires_in=_expires_in(token), refresh_token=refresh)


def moneybird_refresher(
    http: HttpClient, accounts_url: str, client_id: str, client_secret: str
) -> Refresher:
    """A `Refresher` for connector.auth.TokenManager."""
    register_secret(client_secret)

    def refresh(refresh_token: str) -> TokenResponse:
        with oauth_session(http, client_id, client_secret) as oauth:
            token = _call(
                lambda: oauth.refresh_token(token_url(accounts_url), refresh_token=refresh_token)
            )
        return token_response(token, refresh_token)

    return refresh


def exchange_code(oauth: OAuthSession, accounts_url: str, code: str) -> TokenResponse:
    """Exchange the authorization code for the first tokens (the session that made the consent
    URL sends its redirect URI again). Without a refresh token the connection could not be kept
    alive: refused."""
    answer = token_response(_call(lambda: oauth.fetch_token(token_url(accounts_url), code=code)))
    if answer.refresh_token is None:
        raise TokenEndpointError("other", "Moneybird returned no refresh token")
    return answer
