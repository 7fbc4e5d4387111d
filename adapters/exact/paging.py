"""Exact's OData v2 envelope and ``__next`` paging.

A list answer is ``{"d": {"results": [...], "__next": "https://…?$skiptoken=…"}}`` (some answers
carry ``d`` as a bare array). ``__next`` is the full URL of the next page with the original query
plus ``$skiptoken``; it is followed verbatim (reference §4), but only on the host we called, so
the bearer token never goes elsewhere. A ``__next`` seen twice is a loop and raises.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests

from adapters.exact.errors import malformed


def parse_json(response: requests.Response, endpoint: str) -> Any:
    """The JSON of `response`, numbers with decimals as `Decimal` (never float)."""
    try:
        return json.loads(response.content or b"", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        ctype = response.headers.get("Content-Type", "?")
        raise malformed(
            endpoint,
            f"not JSON (HTTP {response.status_code}, {ctype})",
            status=response.status_code,
        ) from None


def error_message(body: Any) -> str:
    """``error.message.value`` of Exact's error envelope, or ""."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            message = error.get("message")
            if isinstance(message, Mapping):
                return str(message.get("value") or "")
            return str(message or "")
        if "error_description" in body:
            return str(body.get("error_description") or "")
    return ""


def list_page(body: Any, endpoint: str) -> tuple[list[dict[str, Any]], str | None]:
    """(rows, next URL or None) of a list answer."""
    if not isinstance(body, Mapping) or "d" not in body:
        raise malformed(endpoint, "no 'd' in the answer")
    d = body["d"]
    rows: Any
    nxt: Any
    if isinstance(d, list):
        rows, nxt = d, None
    elif isinstance(d, Mapping):
        rows, nxt = d.get("results"), d.get("__next")
    else:
        raise malformed(endpoint, "'d' is neither a list nor an object")
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise malformed(endpoint, "'results' is not a list of objects")
    if nxt is not None and not isinstance(nxt, str):
        raise malformed(endpoint, "'__next' is not a URL")
    return rows, nxt or None


def single(body: Any, endpoint: str) -> dict[str, Any]:
    """The object of a POST answer (``{"d": {...}}``)."""
    if isinstance(body, Mapping) and isinstance(body.get("d"), dict):
        return dict(body["d"])
    raise malformed(endpoint, "no 'd' object in the answer")


class NextLinks:
    """Checks each ``__next``: same scheme and host as the API, never seen before."""

    def __init__(self, base_url: str, endpoint: str) -> None:
        base = urlsplit(base_url)
        self._origin = (base.scheme, base.netloc)
        self.endpoint = endpoint
        self._seen: set[str] = set()

    def check(self, url: str) -> str:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self._origin:
            raise malformed(self.endpoint, f"__next points to another host ({parts.netloc})")
        if url in self._seen:
            raise malformed(self.endpoint, "loop detected in pagination: __next came back twice")
        self._seen.add(url)
        return url
