"""Calls the Moneybird API (``{api}/api/v2/{administration_id}/….json``) for one user's token.

Every call: a bearer token from the shared token manager, the client-side limiter and
connector.http's client (timeouts, read retries on 429/5xx waiting what ``Retry-After`` asks, no
retries of writes). The synchronization POST only reads (it fetches records by id) and a pause
or resume has the same effect when sent twice, so they are retried like a GET. A 401 refreshes
the token once and retries the call once. Failures come back as classified `MoneybirdApiError`s
(adapters/moneybird/errors.py).

Only declared names go out: each call takes an `Endpoint` (adapters/moneybird/endpoints.py) and
builds its query, ``filter`` and body through it.
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any, Protocol
from urllib.parse import urlsplit

import requests

from adapters.moneybird.endpoints import (
    ADMINISTRATIONS,
    CONTACT_BY_ID,
    CONTACT_VERSIONS,
    CONTACTS_BY_ID,
    PAGE_SIZE,
    SALES_INVOICE_VERSIONS,
    SALES_INVOICES_BY_ID,
    SYNC_BATCH,
    Endpoint,
)
from adapters.moneybird.errors import MoneybirdApiError, api_error, error_message
from adapters.moneybird.paging import (
    NextLinks,
    next_url,
    objects,
    one,
    parse_json,
    spooled_objects,
)
from connector.auth.tokens import ConsentNeeded, TokenEndpointError, TokenError
from connector.domain.clock import Clock
from connector.domain.ports import ErrorKind
from connector.http import HttpClient, HttpMetrics, LimiterFactory, local_limiter, make_http

#: 150 requests per 5 minutes per user (Moneybird help centre, "API token limiet"), paced as 30 a
#: minute so a burst cannot spend the five minutes' allowance in the first one
PER_MINUTE = 30
#: reads may use at most this many of the 30 a minute: the rest is reserved for write-backs
#: (reminders, pauses, notes), so a long sync never starves the morning's reminders
READS_PER_MINUTE = 24


class AccessTokens(Protocol):
    """What the client needs of `connector.auth.tokens.TokenManager`."""

    tenant: str

    def access_token(self) -> str: ...

    def invalidate(self, token: str) -> None: ...


def limiter_key(api_url: str, user: str) -> str:
    """The budget's key: Moneybird's limit is per *user*, shared by every administration that
    user's token reaches. The connector does not learn the user from the API, so clients pass
    what identifies the consenting party best: the OAuth app's client id (one bookkeeper's app
    is one user in practice; two users of one app then share a budget, which is only stricter)."""
    return f"moneybird:{urlsplit(api_url).netloc or api_url}:{user}"


def token_error_to_ledger(exc: TokenError, tenant: str) -> MoneybirdApiError:
    if isinstance(exc, ConsentNeeded):
        return MoneybirdApiError(ErrorKind.CONSENT_NEEDED, str(exc), sent=False)
    if isinstance(exc, TokenEndpointError):
        kind = {
            "invalid_grant": ErrorKind.CONSENT_NEEDED,
            "invalid_client": ErrorKind.CONFIG,
            "throttled": ErrorKind.RATE_LIMITED,
        }.get(exc.kind, ErrorKind.TRANSIENT)
        return MoneybirdApiError(kind, f"{tenant}: Moneybird token endpoint: {exc}", sent=False)
    return MoneybirdApiError(ErrorKind.TRANSIENT, f"{tenant}: {exc}", sent=False)


def batched(ids: Iterable[str], size: int = SYNC_BATCH) -> Iterator[list[str]]:
    """`ids` in lists of `size` (the last one shorter), taken from the iterable as they come."""
    it = iter(ids)
    while batch := [str(i) for i in itertools.islice(it, size)]:
        yield batch


def changed_ids(
    current: Mapping[str, int], known: Mapping[str, int]
) -> tuple[list[str], list[str]]:
    """(ids whose version differs from the one stored or that are new, ids no longer listed),
    both sorted. The synchronization API lists every record with its version; only the changed
    ones are fetched."""
    changed = sorted(i for i, version in current.items() if known.get(i) != version)
    gone = sorted(i for i in known if i not in current)
    return changed, gone


class MoneybirdClient:
    """One administration, reached with one user's token."""

    def __init__(
        self,
        tokens: AccessTokens,
        api_url: str,
        administration_id: str,
        clock: Clock,
        *,
        metrics: HttpMetrics | None = None,
        limiters: LimiterFactory | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        budget: str | None = None,
    ) -> None:
        """`api_url` ends in ``/api/v2`` (`MoneybirdSettings.effective_api_url`); `budget` names
        the user whose rate limit the calls count against (`limiter_key`; default: the
        administration)."""
        if not administration_id.isdigit():
            raise ValueError("the administration id is digits")
        self.tokens = tokens
        self.api_url = api_url.rstrip("/")
        self.administration_id = administration_id
        self.clock = clock
        self.metrics = metrics if metrics is not None else HttpMetrics()
        factory = limiters or local_limiter
        key = limiter_key(self.api_url, budget or administration_id)
        limiter = factory(key, PER_MINUTE, clock)
        self.read_limiter = factory(f"{key}:reads", READS_PER_MINUTE, clock)
        self.http: HttpClient = make_http(
            clock=clock, name="moneybird", timeout=timeout, limiter=limiter, metrics=self.metrics
        )

    def url(self, endpoint: Endpoint, **ids: str) -> str:
        prefix = f"{self.administration_id}/" if endpoint.administration else ""
        return f"{self.api_url}/{prefix}{endpoint.url_path(**ids)}"

    def _token(self) -> str:
        try:
            return self.tokens.access_token()
        except TokenError as exc:
            raise token_error_to_ledger(exc, self.tokens.tenant) from None

    # -- calls ------------------------------------------------------------------------------
    def call(
        self,
        endpoint: Endpoint,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        sink: IO[bytes] | None = None,
    ) -> tuple[Any, requests.Response]:
        """One call of a declared endpoint; returns (parsed JSON or None, the response). With
        `sink`, a successful answer's body is written there, not parsed (None)."""
        if endpoint not in endpoint.contract:
            raise ValueError(f"{endpoint.key}: endpoint not declared in the contract")
        method = endpoint.method
        # fetching records by id changes nothing, pausing twice is pausing: retried like a read
        retry = method == "GET" or endpoint.idempotent
        headers = {"Accept": "application/json"}
        if json is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            token = self._token()
            if endpoint.reads:
                self.read_limiter.acquire()  # reads leave the writes their share
            try:
                response = self.http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers={**headers, "Authorization": f"Bearer {token}"},
                    retry=retry,
                    sink=sink,
                )
            except requests.ConnectTimeout:
                raise MoneybirdApiError(
                    ErrorKind.TRANSIENT,
                    f"Moneybird {endpoint.key}: could not connect",
                    endpoint=endpoint.key,
                    sent=False,
                ) from None
            except (requests.Timeout, requests.ConnectionError) as exc:
                raise MoneybirdApiError(
                    ErrorKind.TRANSIENT,
                    f"Moneybird {endpoint.key}: no answer ({type(exc).__name__})",
                    endpoint=endpoint.key,
                    sent=None,
                ) from None
            if response.status_code < 400:
                if sink is not None:
                    return None, response
                if response.status_code == 204 or not response.content:
                    return None, response
                return parse_json(response, endpoint.key), response
            if response.status_code == 401 and attempt == 1:
                self.tokens.invalidate(token)
                continue
            try:
                body = parse_json(response, endpoint.key)
            except MoneybirdApiError:
                body = None
            raise api_error(response.status_code, error_message(body), endpoint.key)
        raise AssertionError("unreachable")  # pragma: no cover

    def _first(
        self, endpoint: Endpoint, query: Mapping[str, Any] | None, ids: Mapping[str, str]
    ) -> tuple[str, dict[str, str] | None]:
        params: dict[str, str] | None = endpoint.query(query or {})
        if "per_page" in endpoint.parameters and params is not None:
            params.setdefault("per_page", str(PAGE_SIZE))
        return self.url(endpoint, **ids), params

    def pages(
        self, endpoint: Endpoint, query: Mapping[str, Any] | None = None, **ids: str
    ) -> Iterator[list[dict[str, Any]]]:
        """Stream a GET list page by page, following the ``Link`` header's next link."""
        url, params = self._first(endpoint, query, ids)
        links = NextLinks(self.api_url, endpoint.key)
        while True:
            body, response = self.call(endpoint, url, params=params)
            yield objects(body, endpoint.key)
            nxt = next_url(response)
            if nxt is None:
                return
            url, params = links.check(nxt), None

    def spooled_rows(
        self, endpoint: Endpoint, query: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """The rows of a GET list, each page's answer written to a temporary file and read back
        row by row (`paging.spooled_objects`): for the synchronization lists, one answer with
        every record of the administration. The file is gone once the rows are."""
        url, params = self._first(endpoint, query, {})
        links = NextLinks(self.api_url, endpoint.key)
        with tempfile.TemporaryFile() as spool:
            while True:
                _, response = self.call(endpoint, url, params=params, sink=spool)
                yield from spooled_objects(
                    spool,
                    endpoint.key,
                    status=response.status_code,
                    content_type=response.headers.get("Content-Type", "?"),
                )
                nxt = next_url(response)
                if nxt is None:
                    return
                url, params = links.check(nxt), None

    def rows(
        self, endpoint: Endpoint, query: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        return [row for page in self.pages(endpoint, query) for row in page]

    def by_id(self, endpoint: Endpoint, ids: Iterable[str]) -> Iterator[list[dict[str, Any]]]:
        """Full records of `ids` through a synchronization POST, `SYNC_BATCH` ids per call (more
        would be silently cut off by Moneybird)."""
        for batch in batched(ids):
            body, _ = self.call(endpoint, self.url(endpoint), json=endpoint.body({"ids": batch}))
            yield objects(body, endpoint.key)

    # -- the synchronization API ------------------------------------------------------------
    def sales_invoice_versions(self) -> list[dict[str, Any]]:
        """``[{id, version}]`` of every sales invoice of the administration."""
        return self.rows(SALES_INVOICE_VERSIONS)

    def sales_invoice_rows(self, updated_after: str | None = None) -> Iterator[dict[str, Any]]:
        """`sales_invoice_versions` row by row, through a temporary file (the list grows with
        the administration); with `updated_after` (ISO time) only the invoices updated since."""
        query: dict[str, Any] = {}
        if updated_after is not None:
            query = {"filter": SALES_INVOICE_VERSIONS.filter({"updated_after": updated_after})}
        return self.spooled_rows(SALES_INVOICE_VERSIONS, query)

    def contact_rows(self) -> Iterator[dict[str, Any]]:
        """`contact_versions` row by row, through a temporary file."""
        return self.spooled_rows(CONTACT_VERSIONS, {"include_archived": "true"})

    def sales_invoices(self, ids: Iterable[str]) -> Iterator[list[dict[str, Any]]]:
        return self.by_id(SALES_INVOICES_BY_ID, ids)

    def contact_versions(self) -> list[dict[str, Any]]:
        """``[{id, version}]`` of every contact, archived ones included (an archived contact can
        still owe an invoice)."""
        return self.rows(CONTACT_VERSIONS, {"include_archived": "true"})

    def contacts(self, ids: Iterable[str]) -> Iterator[list[dict[str, Any]]]:
        return self.by_id(CONTACTS_BY_ID, ids)

    def contact(self, contact_id: str) -> dict[str, Any]:
        body, _ = self.call(CONTACT_BY_ID, self.url(CONTACT_BY_ID, id=contact_id))
        return one(body, CONTACT_BY_ID.key)

    def write(self, endpoint: Endpoint, body: Any = None, **ids: str) -> Any:
        """One write (never retried: connector.http does not resend a POST)."""
        answer, _ = self.call(endpoint, self.url(endpoint, **ids), json=body)
        return answer

    def administrations(self) -> list[dict[str, Any]]:
        """Every administration the token reaches (for the login's choice)."""
        return self.rows(ADMINISTRATIONS)
