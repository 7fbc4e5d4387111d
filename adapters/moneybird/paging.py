"""Moneybird's JSON answers and ``Link``-header paging.

A list answer is a JSON array of objects; the next page is the ``Link`` header's ``rel="next"``
URL ("A response contains a `Link` header with a `next` and `prev` link", changelog 2016-10-26,
https://developer.moneybird.com/changelog/2016-10-26). That URL carries the original query plus
``page``; it is followed verbatim, but only on the host we called (the bearer token never goes
elsewhere), and a link seen twice is a loop and raises.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import IO, Any
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


#: the largest row of a spooled list answer (a synchronization row is about 60 characters)
MAX_ROW = 64 * 1024
_READ = 64 * 1024
_SPACE = re.compile(r"[ \t\n\r]*")


class _NotJson(ValueError):
    pass


class _RowTooLarge(ValueError):
    pass


def _array(stream: IO[bytes], max_row: int) -> Iterator[Any]:
    """The elements of the JSON array in `stream`, one at a time, holding at most one read
    (`_READ`) plus one element (`max_row` characters) in memory. Raises `_NotJson` where
    ``json.loads`` of the whole would fail, `_RowTooLarge` for an element beyond `max_row`,
    `TypeError` (nothing yielded) when the answer is valid JSON but not an array."""
    decoder = json.JSONDecoder(parse_float=Decimal)
    text = codecs.getincrementaldecoder("utf-8-sig")()
    buf, pos, eof = "", 0, False

    def more() -> None:
        nonlocal buf, pos, eof
        chunk = stream.read(_READ)
        eof = not chunk
        buf = buf[pos:] + text.decode(chunk, final=eof)
        pos = 0

    def skip_space() -> None:
        """Advance past white space, reading on; at the end of the answer `pos == len(buf)`."""
        nonlocal pos
        while True:
            found = _SPACE.match(buf, pos)
            pos = found.end() if found else pos
            if pos < len(buf) or eof:
                return
            more()

    def value() -> Any:
        nonlocal pos
        while True:
            try:
                item, end = decoder.raw_decode(buf, pos)
            except json.JSONDecodeError:
                if len(buf) - pos > max_row:
                    raise _RowTooLarge(f"a row is larger than {max_row} characters") from None
                if eof:
                    raise _NotJson from None
                more()  # cut off by the read: read on
                continue
            if end == len(buf) and not eof:
                more()  # a number or literal may go on in the next read
                continue
            if end - pos > max_row:
                raise _RowTooLarge(f"a row is larger than {max_row} characters")
            pos = end
            return item

    skip_space()
    if pos == len(buf):
        raise _NotJson  # nothing but white space (an empty answer never gets here)
    if buf[pos] != "[":
        # not an array: whatever it is, it is not a list; is it JSON at all?
        while not eof:
            more()
        try:
            json.loads(buf[pos:])
        except ValueError:
            raise _NotJson from None
        raise TypeError("not an array")
    pos += 1
    skip_space()
    if pos < len(buf) and buf[pos] == "]":
        pos += 1
    else:
        while True:
            skip_space()
            if pos == len(buf) or buf[pos] in "]},:":
                raise _NotJson
            yield value()
            skip_space()
            if pos == len(buf):
                raise _NotJson  # cut off
            if buf[pos] == ",":
                pos += 1
                continue
            if buf[pos] == "]":
                pos += 1
                break
            raise _NotJson
    skip_space()
    if pos < len(buf):
        raise _NotJson  # something after the array


def spooled_objects(
    stream: IO[bytes],
    endpoint: str,
    *,
    status: int,
    content_type: str,
    max_row: int = MAX_ROW,
) -> Iterator[dict[str, Any]]:
    """A list answer written to a file (`connector.http`'s ``sink``), row by row: what `objects`
    of `parse_json` gives, without the whole list in memory. A first pass checks the answer
    as `parse_json` and `objects` would (same errors: "not JSON", then "not a list of
    objects"), a second hands out the rows; an empty answer is not a list, as in `call`.
    A row over `max_row` characters is malformed too (a synchronization row is tiny)."""

    def passes() -> Iterator[Any]:
        stream.seek(0)
        return _array(stream, max_row)

    stream.seek(0, 2)
    if stream.tell() == 0:
        raise malformed(endpoint, "not a list of objects")
    listed = True
    try:
        for row in passes():
            listed = listed and isinstance(row, dict)
    except (_NotJson, UnicodeDecodeError, RecursionError):
        raise malformed(
            endpoint, f"not JSON (HTTP {status}, {content_type})", status=status
        ) from None
    except _RowTooLarge as exc:
        raise malformed(endpoint, str(exc), status=status) from None
    except TypeError:
        listed = False
    if not listed:
        raise malformed(endpoint, "not a list of objects")
    yield from passes()


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
