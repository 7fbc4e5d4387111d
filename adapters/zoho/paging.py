"""Zoho's ``page_context`` paginator with loop detection.

List answers carry ``"page_context": {"page": 1, "per_page": 200, "has_more_page": true, ...}``
(https://www.zoho.com/books/api/v3/pagination/); the next page is ``page + 1`` while
``has_more_page`` is true. The OpenAPI file types `page_context` as an array; clients (and Zoho's
own Java wrapper) read an object, so both are accepted. A page number seen twice, or a page with
exactly the ids of the previous one, is a loop (the Singer SDK's "Loop detected in pagination"):
it raises instead of reading forever.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import requests

from adapters.zoho.errors import ZohoApiError, malformed
from connector.domain.ports import ErrorKind


class PaginationLoop(ZohoApiError):
    """The server handed out the same page twice."""


def parse_json(response: requests.Response, endpoint: str) -> dict[str, Any]:
    """The JSON object of `response`, numbers with decimals as `Decimal` (never float)."""
    try:
        body = json.loads(response.content or b"", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        ctype = response.headers.get("Content-Type", "?")
        raise malformed(
            endpoint,
            f"not JSON (HTTP {response.status_code}, {ctype})",
            status=response.status_code,
        ) from None
    if not isinstance(body, dict):
        raise malformed(endpoint, "not a JSON object", status=response.status_code)
    return body


def page_context(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    ctx = body.get("page_context")
    if isinstance(ctx, list):
        ctx = ctx[0] if ctx and isinstance(ctx[0], Mapping) else None
    return ctx if isinstance(ctx, Mapping) else None


class PageContextPaginator:
    """Tracks the current page; `update` reads one answer and says whether there is more."""

    def __init__(self, endpoint: str, start_page: int = 1, id_field: str | None = None) -> None:
        self.endpoint = endpoint
        self.page = start_page
        self.finished = False
        self.id_field = id_field
        self._seen_pages: set[int] = set()
        self._last_ids: tuple[str, ...] | None = None

    def params(self) -> dict[str, int]:
        return {"page": self.page}

    def update(self, body: Mapping[str, Any], items: Sequence[Mapping[str, Any]] = ()) -> None:
        """Advance past the page in `body` (whose list items are `items`)."""
        if self.finished:
            raise RuntimeError("paginator already finished")
        ctx = page_context(body)
        if ctx is None:
            raise malformed(self.endpoint, f"no page_context on page {self.page}")
        more = ctx.get("has_more_page")
        if not isinstance(more, bool):
            raise malformed(self.endpoint, f"page_context.has_more_page is {more!r}")
        reported = ctx.get("page", self.page)
        try:
            page = int(reported)
        except (TypeError, ValueError):
            raise malformed(self.endpoint, f"page_context.page is {reported!r}") from None
        if page in self._seen_pages:
            raise self._loop(f"page {page} came back twice")
        self._seen_pages.add(page)
        if self.id_field is not None and items:
            ids = tuple(str(item.get(self.id_field)) for item in items)
            if ids == self._last_ids:
                raise self._loop(f"page {page} repeats the records of the previous page")
            self._last_ids = ids
        if more and not items:
            raise self._loop(f"page {page} is empty but has_more_page is true")
        if more:
            self.page = page + 1
        else:
            self.finished = True

    def update_from_response(self, response: requests.Response, list_key: str) -> list[Any]:
        """Parse `response`, advance, and return its items (for tests and simple callers)."""
        body = parse_json(response, self.endpoint)
        items = body.get(list_key)
        if not isinstance(items, list):
            raise malformed(self.endpoint, f"no {list_key!r} list")
        self.update(body, items)
        return items

    def _loop(self, what: str) -> PaginationLoop:
        return PaginationLoop(
            ErrorKind.MALFORMED,
            f"Zoho {self.endpoint}: loop detected in pagination: {what}",
            endpoint=self.endpoint,
            sent=None,
        )
