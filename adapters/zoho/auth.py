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
We do not use authlib's OAuth2Session here: its error handling expects an HTTP error status, and
every call must go through connector.http (timeouts, no retries of the POST, redaction).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
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


def authorize_url(
    accounts_url: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    scopes: Iterable[str] = SCOPES,
) -> str:
    """The consent page URL: offline access (a refresh token) and ``prompt=consent`` (Zoho only
    issues a new refresh token on a consented offline grant)."""
    query = {
        "scope": ",".join(scopes),
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "access_type": "offline",
        "prompt": "consent",
        "state": state,
    }
    return accounts_url.rstrip("/") + "/oauth/v2/auth?" + urlencode(query, safe=",")


def _post_token(http: HttpClient, accounts_url: str, form: Mapping[str, str]) -> dict[str, Any]:
    """POST the token form once; classify the answer. Never retried."""
    try:
        response = http.request("POST", token_url(accounts_url), data=dict(form), retry=False)
    except requests.ConnectTimeout:
        raise TokenEndpointError("other", "could not connect to the Zoho accounts server") from None
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise TokenRefreshUnknown(
            f"no answer from the Zoho accounts server ({type(exc).__name__}); not resent"
        ) from None
    try:
        body = json.loads(response.content or b"", parse_float=Decimal)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        if response.status_code >= 500:
            raise TokenRefreshUnknown(
                f"Zoho accounts server answered HTTP {response.status_code}; not resent"
            )
        raise TokenEndpointError("other", f"HTTP {response.status_code}, not JSON")
    if "error" in body or response.status_code >= 400:
        error = str(body.get("error") or f"HTTP {response.status_code}")
        kind = _ERROR_KINDS.get(error.strip().lower(), "other")
        if response.status_code == 429:
            kind = "throttled"
        description = str(body.get("error_description") or "")
        message = redact(f"{error}: {description}" if description else error)
        raise TokenEndpointError(kind, message)
    return body


def _token_response(body: Mapping[str, Any]) -> TokenResponse:
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise TokenEndpointError("other", "answer without access_token")
    try:
        expires_in = int(body.get("expires_in", 3600))
    except (TypeError, ValueError):
        expires_in = 3600
    if expires_in > 100_000:  # very old answers gave milliseconds (expires_in_sec beside it)
        expires_in = int(body.get("expires_in_sec", 3600))
    refresh = body.get("refresh_token")
    api_domain = body.get("api_domain")
    register_secret(access)
    register_secret(refresh if isinstance(refresh, str) else None)
    return TokenResponse(
        access_token=access,
        expires_in=expires_in,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        api_domain=str(api_domain) if api_domain else None,
    )


def zoho_refresher(
    http: HttpClient, accounts_url: str, client_id: str, client_secret: str
) -> Refresher:
    """A `Refresher` for connector.auth.TokenManager. Zoho keeps the refresh token, so the
    answer's `refresh_token` is None (the store keeps the old one)."""
    register_secret(client_secret)

    def refresh(refresh_token: str) -> TokenResponse:
        body = _post_token(
            http,
            accounts_url,
            {
                "refresh_token": refresh_token,
                "client_id": client_id,
                "client_secret": client_secret,
                "grant_type": "refresh_token",
            },
        )
        return _token_response(body)

    return refresh


def exchange_code(
    http: HttpClient,
    accounts_url: str,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
) -> TokenResponse:
    """Exchange a one-time authorization code (valid ~60 s) for tokens, capturing `api_domain`.

    `accounts_url` must be the accounts server of the user's data centre (the callback's
    ``accounts-server`` parameter when multi-DC is enabled)."""
    register_secret(client_secret)
    body = _post_token(
        http,
        accounts_url,
        {
            "code": code,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
            "grant_type": "authorization_code",
        },
    )
    answer = _token_response(body)
    if answer.refresh_token is None:
        raise TokenEndpointError(
            "other",
            "Zoho returned no refresh token: the consent URL needs access_type=offline and "
            "prompt=consent",
        )
    return answer
