"""Zoho Accounts: the consent URL, the code exchange and the refresh call.

Official pages: https://www.zoho.com/books/api/v3/oauth/ (authorization request, token
exchange, refresh, scopes), https://www.zoho.com/accounts/protocol/oauth/multi-dc.html
(``api_domain`` / ``accounts-server`` per data centre),
https://www.zoho.com/accounts/protocol/oauth/token-limits.html (10 access-token requests per
10 minutes per refresh token; hence the shared token in connector.auth.tokens).

Zoho's quirks handled here:
  * errors come with HTTP **200** and ``{"error": "..."}``: ``invalid_code`` (bad/expired code or
    revoked refresh token) -> ``invalid_grant``; ``Access Denied`` (too many token requests) ->
    ``throttled`` (never "consent needed"); ``invalid_client`` (wrong client or data centre);
  * a refresh answer carries no ``refresh_token``: refresh tokens do not rotate, the old one stays;
  * the secret goes in the form body, never in the URL (Zoho also accepts query parameters, but
    a URL ends up in proxy and debug logs).
The URL, the state and the token calls go through authlib's `OAuth2Session`
(connector.auth.oauth.OAuthSession, sent by connector.http: timeouts, no resend of the POST,
redaction); `check_token_answer` is its compliance hook for the HTTP-200 errors.
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

#: what the adapter needs (settings.READ for GET /organizations in `dunning doctor`)
SCOPES: tuple[str, ...] = (
    "ZohoBooks.invoices.READ",
    "ZohoBooks.invoices.CREATE",
    "ZohoBooks.contacts.READ",
    "ZohoBooks.contacts.CREATE",
    "ZohoBooks.customerpayments.READ",
    "ZohoBooks.settings.READ",
)

_ERROR_KINDS: dict[str, TokenErrorKind] = {
    "invalid_code": "invalid_grant",
    "invalid_grant": "invalid_grant",
    "invalid_token": "invalid_grant",
    "access denied": "throttled",
    "invalid_client": "invalid_client",
    "invalid_client_secret": "invalid_client",
    "invalid_redirect_uri": "invalid_client",
    "unauthorized_client": "invalid_client",
}


def token_url(accounts_url: str) -> str:
    return accounts_url.rstrip("/") + "/oauth/v2/token"


def oauth_session(
    http: HttpClient, client_id: str, client_secret: str, redirect_uri: str | None = None
) -> OAuthSession:
    """authlib's session for Zoho Accounts: the secret in the form, `check_token_answer` as the
    compliance hook, every request sent by `http`."""
    return OAuthSession(
        http, client_id, client_secret, redirect_uri=redirect_uri, check=check_token_answer
    )


def authorize_url(
    oauth: OAuthSession,
    accounts_url: str,
    scopes: Iterable[str] = SCOPES,
    state: str | None = None,
) -> tuple[str, str]:
    """The consent page URL and its state (made by authlib unless given): offline access (a
    refresh token) and ``prompt=consent`` (Zoho only issues a new refresh token on a consented
    offline grant). Zoho separates scopes with commas."""
    url, made = oauth.create_authorization_url(
        accounts_url.rstrip("/") + "/oauth/v2/auth",
        state=state,
        scope=",".join(scopes),
        access_type="offline",
        prompt="consent",
    )
    return str(url), str(made)


def check_token_answer(response: requests.Response) -> requests.Response:
    """authlib compliance hook (``access_token_response``, ``refresh_token_response``): Zoho's
    errors come with HTTP 200, so classify every answer before authlib parses it.

    Raises:
        TokenEndpointError: a refusal, with its kind (``invalid_code`` -> invalid_grant, i.e.
            consent needed; ``Access Denied`` -> throttled; ``invalid_client``).
        TokenRefreshUnknown: HTTP 5xx without a JSON answer (Zoho may have issued a token).
    """
    body = answer_json(response)
    status = response.status_code
    if body is None:
        if status >= 500:
            raise TokenRefreshUnknown(f"Zoho accounts server answered HTTP {status}; not resent")
        raise TokenEndpointError("other", f"HTTP {status}, not JSON")
    if "error" in body or status >= 400:
        error = str(body.get("error") or f"HTTP {status}")
        kind = _ERROR_KINDS.get(error.strip().lower(), "other")
        if status == 429:
            kind = "throttled"
        description = str(body.get("error_description") or "")
        message = redact(f"{error}: {description}" if description else error)
        raise TokenEndpointError(kind, message)
    try:
        expires_in = int(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        expires_in = 3600
    if expires_in > 100_000:  # very old answers gave milliseconds (expires_in_sec beside it)
        try:
            expires_in = int(body.get("expires_in_sec", 3600))
        except (TypeError, ValueError):
            expires_in = 3600
    return set_json(response, {**body, "expires_in": expires_in})


def _call(send: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any]:
    """Run one authlib token call; a transport failure becomes our error. Never resent."""
    try:
        token: Mapping[str, Any] = send()
    except requests.ConnectTimeout:
        raise TokenEndpointError("other", "could not connect to the Zoho accounts server") from None
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TokenRefreshUnknown(
            f"no answer from the Zoho accounts server ({type(exc).__name__}); not resent"
        ) from None
    return token


def _token_response(token: Mapping[str, Any], sent_refresh: str | None = None) -> TokenResponse:
    """authlib's token -> TokenResponse. authlib fills a refresh answer's missing
    ``refresh_token`` with the one sent; that is None here (Zoho keeps the old one)."""
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        raise TokenEndpointError("other", "answer without access_token")
    refresh = token.get("refresh_token")
    if not isinstance(refresh, str) or not refresh or refresh == sent_refresh:
        refresh = None
    api_domain = token.get("api_domain")
    register_secret(access)
    register_secret(refresh)
    return TokenResponse(
        access_token=access,
        expires_in=int(token.get("expires_in", 3600)),
        refresh_token=refresh,
        api_domain=str(api_domain) if api_domain else None,
    )


def zoho_refresher(
    http: HttpClient, accounts_url: str, client_id: str, client_secret: str
) -> Refresher:
    """A `Refresher` for connector.auth.TokenManager. Zoho keeps the refresh token, so the
    answer's `refresh_token` is None (the store keeps the old one)."""
    register_secret(client_secret)

    def refresh(refresh_token: str) -> TokenResponse:
        with oauth_session(http, client_id, client_secret) as oauth:
            token = _call(
                lambda: oauth.refresh_token(token_url(accounts_url), refresh_token=refresh_token)
            )
        return _token_response(token, refresh_token)

    return refresh


def exchange_code(oauth: OAuthSession, accounts_url: str, code: str) -> TokenResponse:
    """Exchange a one-time authorization code (valid ~60 s) for tokens, capturing `api_domain`.

    `oauth` is the session that made the consent URL (its redirect URI is sent again).
    `accounts_url` must be the accounts server of the user's data centre (the callback's
    ``accounts-server`` parameter when multi-DC is enabled)."""
    token = _call(lambda: oauth.fetch_token(token_url(accounts_url), code=code))
    answer = _token_response(token)
    if answer.refresh_token is None:
        raise TokenEndpointError(
            "other",
            "Zoho returned no refresh token: the consent URL needs access_type=offline and "
            "prompt=consent",
        )
    return answer
