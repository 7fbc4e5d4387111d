"""The Zoho Books API client: auth header, organization_id, envelope check, one retry on 401.

Official pages: https://www.zoho.com/books/api/v3/introduction/ (``Authorization:
Zoho-oauthtoken …``, ``organization_id`` on every request, 100 requests per minute per
organisation), https://www.zoho.com/books/api/v3/errors/ (the ``{"code": 0, "message": ...}``
envelope).

* Every call passes a per-organisation `RateLimiter` at 90/minute (under Zoho's 100, leaving room
  for the organisation's other integrations and for clock skew).
* On a 429 without ``Retry-After`` the read waits ``X-Rate-Limit-Reset`` seconds (when that is
  longer than connector.http's `max_wait`, e.g. the daily quota, the 429 is classified instead).
* A 401 (or body code 14/57) refreshes the access token once (`TokenManager.invalidate`) and
  retries that call once; the second refusal is classified (consent needed / config). A refused
  call was not executed, so even a write may be repeated after a 401.
* JSON is parsed with ``parse_float=Decimal``: amounts never pass through float.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

from adapters.zoho.contract import check_request
from adapters.zoho.endpoints import Endpoint
from adapters.zoho.errors import ZohoApiError, api_error, classify, malformed
from adapters.zoho.paging import PageContextPaginator, parse_json
from connector.auth.tokens import (
    ConsentNeeded,
    TokenCommitConflict,
    TokenEndpointError,
    TokenError,
    TokenManager,
    TokenRefreshUnknown,
)
from connector.domain.clock import Clock
from connector.domain.ports import ErrorKind
from connector.http import HttpClient, HttpMetrics, Limiter, local_limiter, make_http, safe_url

PER_MINUTE = 90  # Zoho allows 100 per organisation per minute


def organization_limiter(organization_id: str, clock: Clock) -> Limiter:
    """The process-wide limiter of one Zoho organisation (shared by all its clients)."""
    return local_limiter(limiter_key(organization_id), PER_MINUTE, clock)


def limiter_key(organization_id: str) -> str:
    return f"zoho:{organization_id}"


def zoho_wait_hint(clock: Clock) -> Callable[[requests.Response], float | None]:
    """Seconds to wait on a 429, from ``X-Rate-Limit-Reset`` (seconds until the window resets;
    a value that looks like a UNIX time is taken as one)."""

    def hint(response: requests.Response) -> float | None:
        value = response.headers.get("X-Rate-Limit-Reset")
        if not value:
            return None
        try:
            seconds = float(value.strip())
        except ValueError:
            return None
        if seconds > 1_000_000_000:  # an epoch timestamp
            seconds -= clock.now().timestamp()
        return max(0.0, seconds)

    return hint


def token_error_to_ledger(exc: TokenError, tenant: str) -> ZohoApiError:
    """A token failure as a classified adapter error (the API call was not sent)."""
    if isinstance(exc, ConsentNeeded):
        return ZohoApiError(ErrorKind.CONSENT_NEEDED, str(exc), sent=False)
    if isinstance(exc, TokenEndpointError):
        kind = {
            "throttled": ErrorKind.RATE_LIMITED,
            "invalid_client": ErrorKind.CONFIG,
            "invalid_grant": ErrorKind.CONSENT_NEEDED,
        }.get(exc.kind, ErrorKind.TRANSIENT)
        return ZohoApiError(kind, f"{tenant}: Zoho token endpoint: {exc}", sent=False)
    if isinstance(exc, TokenCommitConflict | TokenRefreshUnknown):
        return ZohoApiError(ErrorKind.TRANSIENT, f"{tenant}: {exc}", sent=False)
    return ZohoApiError(ErrorKind.TRANSIENT, f"{tenant}: {exc}", sent=False)


class ZohoClient:
    """Calls the Books API for one organisation. Methods return the checked JSON envelope."""

    def __init__(
        self, http: HttpClient, tokens: TokenManager, api_base: str, organization_id: str
    ) -> None:
        self.http = http
        self.tokens = tokens
        self.api_base = api_base.rstrip("/")
        self.organization_id = organization_id
        #: the day's calls left, as the last answer's ``X-Rate-Limit-Remaining`` said (Zoho
        #: describes the daily quota in these headers, reference §3); None until an answer
        self.remaining_today: int | None = None
        #: the daily quota (``X-Rate-Limit-Limit`` of an answer that was not throttled)
        self.daily_limit: int | None = None

    @classmethod
    def create(
        cls,
        *,
        tokens: TokenManager,
        api_base: str,
        organization_id: str,
        clock: Clock,
        metrics: HttpMetrics | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        limiter: Limiter | None = None,
    ) -> ZohoClient:
        """A client with the organisation's shared limiter (by default the process-wide one)
        and Zoho's 429 wait hint."""
        http = make_http(
            clock=clock,
            name="zoho",
            timeout=timeout,
            limiter=limiter or organization_limiter(organization_id, clock),
            wait_hint=zoho_wait_hint(clock),
            metrics=metrics,
        )
        return cls(http, tokens, api_base, organization_id)

    # -- calls ----------------------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.call("GET", path, params=params)

    def post(
        self, path: str, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> dict[str, Any]:
        return self.call("POST", path, params=params, json=json)

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        """One API call: token, organization_id, envelope check, one retry after a 401.

        Raises:
            ZohoApiError: classified; `sent` False when Zoho definitely did not act on it, None
                when that is unknown (timeout, connection error, 5xx, unreadable answer).
        """
        check_request(method, path, params, json)  # only declared names go out (contract.py)
        url = self.api_base + path
        query = {"organization_id": self.organization_id, **(params or {})}
        endpoint = f"{path}"
        for attempt in (1, 2):
            token = self._token()
            try:
                response = self.http.request(
                    method,
                    url,
                    params=query,
                    json=json,
                    headers={"Authorization": f"Zoho-oauthtoken {token}"},
                )
            except requests.ConnectTimeout:
                raise ZohoApiError(
                    ErrorKind.TRANSIENT,
                    f"Zoho {method} {endpoint}: could not connect",
                    endpoint=endpoint,
                    sent=False,
                ) from None
            except (requests.Timeout, requests.ConnectionError) as exc:
                raise ZohoApiError(
                    ErrorKind.TRANSIENT,
                    f"Zoho {method} {endpoint}: no answer ({type(exc).__name__})",
                    endpoint=endpoint,
                    sent=None,
                ) from None
            self._note_remaining(response)
            body, code, message = self._read_body(response, endpoint)
            if response.status_code < 400 and code == 0:
                if body is None:
                    raise malformed(endpoint, "empty answer", status=response.status_code)
                return body
            if response.status_code < 400 and body is None:
                raise malformed(f"{method} {endpoint}", "not JSON", status=response.status_code)
            if response.status_code < 400 and code is None:
                raise malformed(f"{method} {endpoint}", "no 'code' in the answer")
            resolution = classify(response.status_code, code)
            if resolution.refresh_then_retry and attempt == 1:
                self.tokens.invalidate(token)
                continue
            raise api_error(response.status_code, code, message, endpoint, method=method)
        raise AssertionError("unreachable")  # pragma: no cover

    def _note_remaining(self, response: requests.Response) -> None:
        value = response.headers.get("X-Rate-Limit-Remaining")
        if value is not None and value.strip().isdigit():
            self.remaining_today = int(value.strip())
        limit = response.headers.get("X-Rate-Limit-Limit")
        if response.status_code != 429 and limit is not None and limit.strip().isdigit():
            self.daily_limit = int(limit.strip())

    def pages(
        self, endpoint: Endpoint, params: Mapping[str, Any] | None = None
    ) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        """Stream a list endpoint page by page: yields (items, is_last_page)."""
        paginator = PageContextPaginator(endpoint.path, id_field=endpoint.id_field)
        base = {**endpoint.params, "per_page": endpoint.per_page, **(params or {})}
        while not paginator.finished:
            body = self.get(endpoint.path, {**base, **paginator.params()})
            items = self.list_items(body, endpoint, page=paginator.page)
            paginator.update(body, items)
            yield items, paginator.finished

    @staticmethod
    def list_items(
        body: Mapping[str, Any], endpoint: Endpoint, page: int | None = None
    ) -> list[dict[str, Any]]:
        for key in endpoint.list_keys:
            items = body.get(key)
            if items is None:
                continue
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise malformed(endpoint.path, f"{key!r} is not a list of objects")
            return items
        where = f" (page {page})" if page is not None else ""
        wanted = " or ".join(repr(k) for k in endpoint.list_keys)
        raise malformed(endpoint.path, f"no {wanted} list in the answer{where}")

    @staticmethod
    def detail(body: Mapping[str, Any], endpoint: Endpoint) -> dict[str, Any]:
        value = body.get(endpoint.detail_key)
        if not isinstance(value, dict):
            raise malformed(endpoint.path, f"no {endpoint.detail_key!r} object in the answer")
        return value

    # -- internals ------------------------------------------------------------------------------
    def _token(self) -> str:
        try:
            return self.tokens.access_token()
        except TokenError as exc:
            raise token_error_to_ledger(exc, self.tokens.tenant) from None

    @staticmethod
    def _read_body(
        response: requests.Response, endpoint: str
    ) -> tuple[dict[str, Any] | None, int | None, str]:
        try:
            body = parse_json(response, endpoint)
        except ZohoApiError:
            return None, None, ""
        raw = body.get("code")
        try:
            code = int(raw) if raw is not None and not isinstance(raw, bool) else None
        except (TypeError, ValueError):
            code = None
        return body, code, str(body.get("message") or "")

    def describe(self, path: str) -> str:
        return safe_url(self.api_base + path)
