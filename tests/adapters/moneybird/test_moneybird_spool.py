"""What a read keeps on disk instead of in memory: the synchronization list read row by row from
a file, the waiting workflow steps in their order, and the versions a cursor carries, packed.

What it promises: the list answer gives the same rows and the same errors as reading it whole
(a malformed or cut-off answer still fails the read with one clear line); no row may be larger
than a bound, so a broken answer cannot fill the memory; the pauses come back ordered by
urgency whatever order they were read in; packed versions read back exactly, and a damaged
cursor is noticed rather than believed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
import responses
from fake_store import MemoryTokenStore

from adapters.moneybird import paging, spool
from adapters.moneybird.adapter import dump_invoice_cursor, parse_invoice_cursor
from adapters.moneybird.client import MoneybirdClient
from adapters.moneybird.errors import MoneybirdApiError
from adapters.moneybird.mapping import version_pairs, versions
from adapters.moneybird.spool import ReadSpool
from connector.auth.tokens import TokenManager, TokenResponse
from connector.domain.clock import ManualClock
from connector.domain.ports import ErrorKind
from connector.http import limiter as http_limiter

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
ADMIN = "123456789012345678"
API = "https://moneybird.com/api/v2"
VERSIONS = f"{API}/{ADMIN}/sales_invoices/synchronization.json"


@pytest.fixture(autouse=True)
def fresh_limiters() -> Iterator[None]:
    http_limiter._local.clear()
    yield
    http_limiter._local.clear()


def rows_of(body: bytes, *, max_row: int = paging.MAX_ROW) -> list[dict[str, object]]:
    return list(
        paging.spooled_objects(
            io.BytesIO(body),
            "GET sales_invoices/synchronization",
            status=200,
            content_type="application/json",
            max_row=max_row,
        )
    )


def never_refreshed(refresh_token: str) -> TokenResponse:
    raise AssertionError("the token is valid for the whole test")


def make_client() -> MoneybirdClient:
    store = MemoryTokenStore()
    store.put_initial(
        "vogel",
        "default",
        "moneybird",
        refresh_token="r",
        access_token="a",
        expires_at=START + timedelta(days=30),
        now=START,
    )
    clock = ManualClock(START)
    tokens = TokenManager(store, "vogel", "default", "moneybird", never_refreshed, clock)
    return MoneybirdClient(tokens, API, ADMIN, clock, budget="app-1")


# -- the list answer, row by row ---------------------------------------------------------------
def test_a_list_answer_is_read_row_by_row_across_any_number_of_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    listed = [{"id": str(10**17 + n), "version": 1716801778 + n} for n in range(2_000)]
    body = json.dumps(listed, indent=1).encode()
    monkeypatch.setattr(paging, "_READ", 7)  # every row cut by a read, several times
    assert rows_of(body) == listed
    assert dict(version_pairs(rows_of(body))) == versions(listed)


@pytest.mark.parametrize(
    "body",
    [b"[", b'[{"id": "1", "version": 2}', b'[{"id": "1", "version": 2},', b'[{"id": "1"}]]', b" "],
)
def test_a_cut_off_or_broken_answer_is_not_json_as_when_read_whole(body: bytes) -> None:
    with pytest.raises(MoneybirdApiError) as raised:
        rows_of(body)
    assert raised.value.kind is ErrorKind.MALFORMED
    assert str(raised.value) == (
        "Moneybird GET sales_invoices/synchronization: malformed answer: "
        "not JSON (HTTP 200, application/json)"
    )


@pytest.mark.parametrize("body", [b"", b'{"id": "1"}', b"[1, 2]", b'[{"id": "1"}, "x"]'])
def test_an_answer_that_is_not_a_list_of_objects_says_so(body: bytes) -> None:
    with pytest.raises(MoneybirdApiError, match=r"malformed answer: not a list of objects$"):
        rows_of(body)


def test_a_syntax_error_after_good_rows_fails_before_any_row_is_handed_out() -> None:
    body = b'[{"id": "1", "version": 2}, "x", {"id": '
    with pytest.raises(MoneybirdApiError, match="not JSON"):
        next(iter(rows_of(body)))


def test_a_row_larger_than_the_bound_is_refused_without_reading_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(paging, "_READ", 1024)
    huge = b'[{"id": "1", "version": 2}, {"id": "' + b"9" * 100_000 + b'", "version": 3}]'
    with pytest.raises(MoneybirdApiError, match="a row is larger than 4096 characters"):
        rows_of(huge, max_row=4096)


def test_a_malformed_row_names_what_is_wrong_as_the_whole_list_did() -> None:
    for row in ({"id": "2", "version": "new"}, {"id": "x1", "version": 3}, {"version": 3}):
        with pytest.raises(MoneybirdApiError) as whole:
            versions([row])
        with pytest.raises(MoneybirdApiError) as streamed:
            list(version_pairs(rows_of(json.dumps([{"id": "1", "version": 1}, row]).encode())))
        assert str(streamed.value) == str(whole.value)
        assert streamed.value.kind is ErrorKind.MALFORMED


@responses.activate
def test_the_list_goes_through_a_file_and_fails_as_the_whole_answer_did() -> None:
    responses.get(VERSIONS, json=[{"id": "7", "version": 70}, {"id": "8", "version": 80}])
    assert dict(version_pairs(make_client().sales_invoice_rows())) == {"7": 70, "8": 80}

    responses.replace(
        responses.GET, VERSIONS, body="<html>maintenance</html>", content_type="text/html"
    )
    with pytest.raises(MoneybirdApiError, match=r"not JSON \(HTTP 200, text/html\)"):
        list(make_client().sales_invoice_rows())
    responses.replace(responses.GET, VERSIONS, status=500, json={"error": "Down"})
    with pytest.raises(MoneybirdApiError) as raised:
        list(make_client().sales_invoice_rows("2026-03-02T07:55:00Z"))
    assert raised.value.kind is ErrorKind.TRANSIENT
    assert str(raised.value).endswith("HTTP 500: Down")


# -- the waiting workflow steps ----------------------------------------------------------------
def test_the_waiting_pauses_come_back_most_urgent_first_whatever_order_they_were_read_in() -> None:
    with ReadSpool() as spooled:
        # more steps than one SQLite read hands out, read in id order
        for n in range(1_200):
            first = 2 if n % 5 == 0 else n % 2
            due = date(2026, 1, 1) + timedelta(days=(n * 37) % 90)
            spooled.add_step(first, due, f"{n:05d}", f"2026-{n}", resume=first == 2)
        steps = list(spooled.steps())

    assert len(steps) == 1_200
    order = [(0 if not resume else 2, ref) for ref, _number, resume in steps]
    assert order[0][0] == 0 and order[-1][0] == 2
    due_of = {f"{n:05d}": (2 if n % 5 == 0 else n % 2, (n * 37) % 90) for n in range(1_200)}
    keys = [(*due_of[ref], ref) for ref, _number, _resume in steps]
    assert keys == sorted(keys)


# -- packed versions ---------------------------------------------------------------------------
def test_packed_versions_read_back_exactly_piece_by_piece(monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = [(str(458026356994737217 + 7919 * n), 1716801778 + (n * 13) % 50) for n in range(3000)]
    text, count = spool.pack(pairs)
    monkeypatch.setattr(spool, "_UNPACK", 8)
    assert count == 3000 and list(spool.unpack(text)) == pairs
    assert len(text) < 10 * count  # against about 30 characters a version as JSON


def test_an_id_that_would_not_read_back_is_left_out_to_be_fetched_again() -> None:
    text, count = spool.pack([("5", -3), ("007", 1), ("4", 2), ("9", 10**12)])
    assert count == 2 and list(spool.unpack(text)) == [("5", -3), ("9", 10**12)]


@pytest.mark.parametrize("damage", [lambda t: t[:-4], lambda t: t[:-4] + "!!!!", lambda t: "AAAA"])
def test_a_damaged_packed_cursor_is_noticed(damage: object) -> None:
    text, _ = spool.pack((str(n), n) for n in range(1, 5000))
    with pytest.raises(ValueError, match="not a packed list of versions"):
        list(spool.unpack(damage(text)))  # type: ignore[operator]


def test_an_invoice_cursor_carries_its_versions_packed_and_reads_an_older_one_too() -> None:
    after = datetime(2026, 3, 2, 7, 55, tzinfo=UTC)
    cursor = dump_invoice_cursor(after, [("3", 31), ("12", 5)], retry=["4"])
    header = json.JSONDecoder().raw_decode(cursor)[0]
    assert header == {"after": "2026-03-02T07:55:00Z", "retry": ["4"], "window": 2}
    assert parse_invoice_cursor(cursor) == (after, {"3": 31, "12": 5}, ["4"])

    older = json.dumps({"after": "2026-03-02T07:55:00Z", "recent": {"3": 31}})
    assert parse_invoice_cursor(older) == (after, {"3": 31}, [])
    damaged = cursor[:-3]
    assert parse_invoice_cursor(damaged) == (after, {}, ["4"])
