"""OAuth 2.0 token calls through authlib's requests client, sent by the house HTTP client.

authlib's `OAuth2Session` makes the consent URL and its state, the code-exchange and refresh
forms and the client authentication (``client_secret_post``: the secret in the form body, never
in a URL, where proxy and debug logs would keep it), and parses the answer. It does not send:
`OAuthSession.request` hands every request to an `HttpClient` from `connector.http.make_http`,
so a token call keeps the timeouts, limiter, metrics, capped body, redacted log lines and the
"a POST is never resent" rule of every other call (authlib's own requests session has none of
them).

Each platform registers one compliance hook for ``access_token_response`` and
``refresh_token_response`` (`OAuthSession(check=...)`). It runs before authlib parses the answer
and turns the platform's refusals into our errors: `TokenEndpointError` with its kind (a definite
refusal: consent needed, throttled, wrong client) or `TokenRefreshUnknown` (the answer may hide
an issued token). authlib's own error handling expects an HTTP error status, and Zoho answers
token errors with HTTP 200, so the hook is where that is understood. The hook also normalises
usable oddities authlib would trip on (`set_json`), e.g. Exact's ``expires_in`` as a string.

Use one session per login or per refresh: authlib keeps the last token on the session, so a
fresh one per call means no two threads share that state.

authlib: https://docs.authlib.org/en/latest/client/oauth2.html (OAuth2Session,
create_authorization_url, fetch_token, refresh_token, register_compliance_hook).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session

from connector.http import HttpClient
from connector.logs.redact import register_secret

#: a compliance hook: returns the (possibly normalised) answer, or raises our token error
TokenCheck = Callable[[requests.Response], requests.Response]

#: what requests' Session.post hands on besides method and URL
_PASSED = ("data", "headers", "params", "json")


class OAuthSession(OAuth2Session):  # type: ignore[misc]  # authlib has no type hints
    """authlib's requests `OAuth2Session` whose requests are sent by `http` (never retried).

    Args:
        http: the house client (`make_http`) that sends the token requests.
        client_id, client_secret: the app's credentials, sent in the form body.
        redirect_uri: the registered callback (consent URL and code exchange).
        check: the platform's compliance hook (see the module docstring).
    """

    def __init__(
        self,
        http: HttpClient,
        client_id: str,
        client_secret: str,
        *,
        check: TokenCheck,
        redirect_uri: str | None = None,
    ) -> None:
        register_secret(client_secret)
        super().__init__(
            client_id=client_id,
            client_secret=client_secret,
            token_endpoint_auth_method="client_secret_post",  # noqa: S106 (a method name)
            redirect_uri=redirect_uri,
        )
        self.http = http
        self.register_compliance_hook("access_token_response", check)
        self.register_compliance_hook("refresh_token_response", check)

    def request(  # authlib's and requests' name and signature
        self,
        method: str,
        url: str,
        withhold_token: bool = False,
        auth: Any = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send through the house client, once (a token POST is never resent: Exact rotates
        the refresh token, so a resent request could spend the only valid one)."""
        unknown = sorted(k for k, v in kwargs.items() if v is not None and k not in _PASSED)
        if unknown:
            raise TypeError(f"OAuthSession.request does not pass on {', '.join(unknown)}")
        return self.http.request(
            method,
            url,
            params=kwargs.get("params"),
            json=kwargs.get("json"),
            data=kwargs.get("data"),
            headers=kwargs.get("headers"),
            auth=auth,
            retry=False,
        )


def answer_json(response: requests.Response) -> dict[str, Any] | None:
    """The answer's JSON object, or None (not JSON, or JSON but not an object)."""
    try:
        body = json.loads(response.content or b"")
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def set_json(response: requests.Response, body: Mapping[str, Any]) -> requests.Response:
    """Replace the answer's body with `body` (authlib's documented way for a compliance hook
    to fix a provider's answer before it is parsed)."""
    response._content = json.dumps(dict(body)).encode()
    return response
