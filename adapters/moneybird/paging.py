"""Moneybird's JSON answers and ``Link``-header paging.

A list answer is a JSON array of objects; the next page is the ``Link`` header's ``rel="next"``
URL ("A response contains a `Link` header with a `next` and `prev` link", changelog 2016-10-26,
https://developer.moneybird.com/changelog/2016-10-26). That URL carries the original query plus
``page``; it is followed verbatim, but only on the host we called (the bearer token never goes
elsewhere), and a link seen twice is a loop and raises.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import requests

from adapters.moneybird.errors import malformed


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


def objects(body: Any, endpoint: str) -> list[dict[str, Any]]:
    """A list answer: a JSON array of objects."""
    if not isinstance(body, list) or not all(isinstance(row, dict) for row in body):
        raise malformed(endpoint, "not a list of objects")
    return body


def one(body: Any, endpoint: str) -> dict[str, Any]:
    """A single record's answer: a JSON object."""
    if not isinstance(body, dict):
        raise malformed(endpoint, "not an object")
    return body


def next_url(response: requests.Response) -> str | None:
    """The ``Link`` header's ``rel="next"`` URL, or None on the last page."""
    link = response.links.get("next")
    url = link.get("url") if link else None
    return url or None


class NextLinks:
    """Checks each next link: same scheme and host as the API, never seen before."""

    def __init__(self, api_url: str, endpoint: str) -> None:
        base = urlsplit(api_url)
        self._origin = (base.scheme, base.netloc)
        self.endpoint = endpoint
        self._seen: set[str] = set()

    def check(self, url: str) -> str:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self._origin:
            raise malformed(self.endpoint, f"the next link points to another host ({parts.netloc})")
        if url in self._seen:
            raise malformed(self.endpoint, "loop in pagination: the next link came back twice")
        self._seen.add(url)
        return url
