"""Calls the Exact Online REST API (``{base}/api/v1/{division}/…``) for one user's token.

Every call: ``Accept: application/json`` (else Exact answers XML), a bearer token from the shared
`TokenManager`, the division's `DivisionGate` (minute wait, daily budget with a reserve for
write-backs, error-budget guard) and connector.http's client (timeouts, read retries on 429/5xx
with the minute's reset as the wait hint, no retries of writes). A 401 refreshes the token once
and retries the call once. Failures come back as classified `ExactApiError`s.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from adapters.exact.endpoints import DIVISIONS, ME, Endpoint, Filter, PostSpec
from adapters.exact.errors import BUDGET_STATUSES, ExactApiError, api_error, malformed
from adapters.exact.paging import NextLinks, error_message, list_page, parse_json, single
from adapters.exact.ratelimit import DivisionGate, ErrorLog, division_gate
from connector.auth.tokens import (
    ConsentNeeded,
    TokenEndpointError,
    TokenError,
    TokenManager,
)
from connector.domain.clock import Clock
from connector.domain.ports import ErrorKind
from connector.http import HttpClient, HttpMetrics, LimiterFactory, local_limiter, make_http

#: the client-side ceiling per division and minute (Exact allows 60; headers may say less)
PER_MINUTE = 60


def limiter_key(host: str, division: int) -> str:
    return f"exact:{urlsplit(host).netloc or host}:{division}"


def token_error_to_ledger(exc: TokenError, tenant: str) -> ExactApiError:
    if isinstance(exc, ConsentNeeded):
        return ExactApiError(ErrorKind.CONSENT_NEEDED, str(exc), sent=False)
    if isinstance(exc, TokenEndpointError):
        kind = {
            "invalid_grant": ErrorKind.CONSENT_NEEDED,
            "invalid_client": ErrorKind.CONFIG,
            "throttled": ErrorKind.RATE_LIMITED,
        }.get(exc.kind, ErrorKind.TRANSIENT)
        return ExactApiError(kind, f"{tenant}: Exact token endpoint: {exc}", sent=False)
    return ExactApiError(ErrorKind.TRANSIENT, f"{tenant}: {exc}", sent=False)


class ExactClient:
    """One Exact user's token, any number of divisions."""

    def __init__(
        self,
        tokens: TokenManager,
        base_url: str,
        clock: Clock,
        *,
        metrics: HttpMetrics | None = None,
        limiters: LimiterFactory | None = None,
        reserve: int | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        errors: ErrorLog | None = None,
    ) -> None:
        self.tokens = tokens
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.metrics = metrics if metrics is not None else HttpMetrics()
        self._limiters = limiters or local_limiter
        self._reserve = reserve
        self._timeout = timeout
        self._http: dict[int, HttpClient] = {}
        self._errors = errors
        self._remembered: set[int] = set()

    # -- plumbing ---------------------------------------------------------------------------
    def gate(self, division: int) -> DivisionGate:
        if self._reserve is None:
            gate = division_gate(self.base_url, division, self.clock)
        else:
            gate = division_gate(self.base_url, division, self.clock, reserve=self._reserve)
        if self._errors is not None and division not in self._remembered:
            self._remembered.add(division)
            prefix = f"{division}|"
            for key, stamps in self._errors.load().items():
                if key.startswith(prefix):
                    gate.remember(key[len(prefix) :], stamps)
        return gate

    def http(self, division: int) -> HttpClient:
        client = self._http.get(division)
        if client is None:
            gate = self.gate(division)
            client = self._http[division] = make_http(
                clock=self.clock,
                name="exact",
                timeout=self._timeout,
                limiter=self._limiters(
                    limiter_key(self.base_url, division), PER_MINUTE, self.clock
                ),
                wait_hint=lambda response: gate.minute_wait(response.headers),
                metrics=self.metrics,
            )
        return client

    def url(self, division: int | None, path: str) -> str:
        """``{base}/api/v1/{division}/{path}``; ``current/Me`` has no division."""
        prefix = "" if division is None else f"{division}/"
        return f"{self.base_url}/api/v1/{prefix}{path.lstrip('/')}"

    def _token(self) -> str:
        try:
            return self.tokens.access_token()
        except TokenError as exc:
            raise token_error_to_ledger(exc, self.tokens.tenant) from None

    # -- calls ------------------------------------------------------------------------------
    def call(
        self,
        method: str,
        url: str,
        *,
        division: int,
        endpoint: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        """One call; returns the parsed JSON (None for 204). See the module docstring."""
        gate = self.gate(division)
        write = method != "GET"
        headers = {"Accept": "application/json"}
        if write:
            headers["Prefer"] = "return=representation"
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            gate.before(endpoint, write=write)
            token = self._token()
            try:
                response = self.http(division).request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers={**headers, "Authorization": f"Bearer {token}"},
                )
            except requests.ConnectTimeout:
                raise ExactApiError(
                    ErrorKind.TRANSIENT,
                    f"Exact {method} {endpoint}: could not connect",
                    endpoint=endpoint,
                    sent=False,
                ) from None
            except (requests.Timeout, requests.ConnectionError) as exc:
                raise ExactApiError(
                    ErrorKind.TRANSIENT,
                    f"Exact {method} {endpoint}: no answer ({type(exc).__name__})",
                    endpoint=endpoint,
                    sent=None,
                ) from None
            gate.after(endpoint, response.status_code, response.headers)
            if response.status_code in BUDGET_STATUSES and self._errors is not None:
                self._errors.record(division, endpoint, self.clock.now().timestamp())
            if response.status_code < 400:
                if response.status_code == 204 or not response.content:
                    return None
                return parse_json(response, endpoint)
            if response.status_code == 401 and attempt == 1:
                self.tokens.invalidate(token)
                continue
            try:
                body = parse_json(response, endpoint)
            except ExactApiError:
                body = None
            raise api_error(
                response.status_code,
                error_message(body),
                endpoint,
                method=method,
                reason=response.headers.get("Reason", ""),
                daily_exhausted=response.status_code == 429 and gate.daily_exhausted,
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def pages(
        self,
        division: int | None,
        endpoint: Endpoint,
        filter: Filter | None = None,
        *,
        arguments: Mapping[str, str] | None = None,
        gate_division: int | None = None,
    ) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        """Stream a list: yields (rows, is_last_page), following ``__next`` verbatim.

        Only declared names go out: `endpoint.select`, a `Filter` built from the endpoint's
        declared filter properties, and its declared parameters (adapters/exact/contract.py)."""
        if endpoint not in endpoint.contract:
            raise ValueError(f"{endpoint.path}: endpoint not declared in the contract")
        params: dict[str, str] | None = {}
        assert params is not None
        if arguments:
            params.update(endpoint.arguments(arguments))
        params["$select"] = endpoint.select_param
        if filter is not None:
            if filter.path != endpoint.path:
                raise ValueError(f"a filter for {filter.path} used on {endpoint.path}")
            params["$filter"] = filter.text
        url = self.url(division, endpoint.path)
        links = NextLinks(self.base_url, endpoint.path)
        counted = division if division is not None else (gate_division or 0)
        while True:
            body = self.call("GET", url, division=counted, endpoint=endpoint.path, params=params)
            rows, nxt = list_page(body, endpoint.path)
            yield rows, nxt is None
            if nxt is None:
                return
            url, params = links.check(nxt), None

    def rows(
        self,
        division: int | None,
        endpoint: Endpoint,
        filter: Filter | None = None,
        *,
        arguments: Mapping[str, str] | None = None,
        gate_division: int | None = None,
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for rows, _last in self.pages(
            division, endpoint, filter, arguments=arguments, gate_division=gate_division
        ):
            out.extend(rows)
        return out

    def post(self, division: int, spec: PostSpec, values: Mapping[str, Any]) -> dict[str, Any]:
        """Create a record; the body carries only `spec`'s declared properties."""
        if spec not in spec.contract:
            raise ValueError(f"{spec.path}: POST not declared in the contract")
        body = spec.body(values)
        path = spec.path
        answer = self.call(
            "POST", self.url(division, path), division=division, endpoint=path, json=body
        )
        if answer is None:
            raise malformed(path, "empty answer to a POST", status=201)
        return single(answer, path)

    # -- who and where ----------------------------------------------------------------------
    def me(self, gate_division: int) -> dict[str, Any]:
        rows = self.rows(None, ME, gate_division=gate_division)
        if not rows:
            raise malformed(ME.path, "no row")
        return rows[0]

    def divisions(self, via: int) -> list[dict[str, Any]]:
        """``system/Divisions``: every division the user can reach (`via` is any division of
        theirs: Exact does not check the one in that URL)."""
        return self.rows(via, DIVISIONS)
