"""Reading as the connector will: sync endpoints, Timestamp paging, $select, filters, dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import requests
from exact_sandbox_harness import Exact

from sandboxes.exact import bulk_ledger
from sandboxes.exact.odata import ODataError, evaluate, parse_filter, required_values

TERMS = "sync/Cashflow/PaymentTerms"
SELECT = "ID,Account,AmountDC,IsFullyPaid,LastPaymentDate,Timestamp"


def test_sync_endpoints_demand_a_select(exact: Exact) -> None:
    r = exact.get(f"{exact.division}/{TERMS}", {"$filter": "Timestamp gt 1L"})
    assert r.status_code == 400
    assert r.json() == {
        "error": {
            "code": "",
            "message": {
                "lang": "",
                "value": "Please add a $select or a $top=1 statement to the query string.",
            },
        }
    }


def test_sync_pages_hold_1000_rows_in_timestamp_order_and_next_keeps_the_query(
    exact: Exact,
) -> None:
    bulk_ledger(exact.state, exact.division, receivables=2_100, accounts=30)
    params = {"$select": "ID,Timestamp", "$filter": "Timestamp gt 1L"}
    first = exact.get(f"{exact.division}/{TERMS}", params).json()["d"]
    rows = first["results"]
    assert len(rows) == 1000
    stamps = [r["Timestamp"] for r in rows]
    assert stamps == sorted(stamps) and stamps[0] > 2**31
    next_url = first["__next"]
    assert next_url.startswith(f"{exact.url}/api/v1/{exact.division}/{TERMS}?")
    assert "%24select=ID%2CTimestamp" in next_url and f"$skiptoken={stamps[-1]}L" in next_url
    seen = len(rows)
    while next_url:
        import requests

        page = requests.get(next_url, headers=exact.headers(), timeout=10).json()["d"]
        assert page["results"][0]["Timestamp"] > stamps[-1]
        stamps = [r["Timestamp"] for r in page["results"]]
        seen += len(stamps)
        next_url = page.get("__next")
    assert seen == sum(len(v) for v in exact.info.receivables.values()) + 2_100


def test_timestamp_filter_returns_only_rows_changed_since(exact: Exact) -> None:
    rows = exact.get(
        f"{exact.division}/{TERMS}", {"$select": SELECT, "$filter": "Timestamp gt 1L"}
    ).json()
    cursor = max(r["Timestamp"] for r in rows["d"]["results"])
    open_id = next(r["ID"] for r in rows["d"]["results"] if not r["IsFullyPaid"])
    exact.state.record_payment(exact.division, open_id, Decimal("10.00"), date(2025, 3, 3))
    changed = exact.get(
        f"{exact.division}/{TERMS}", {"$select": SELECT, "$filter": f"Timestamp gt {cursor}L"}
    ).json()["d"]["results"]
    assert [r["ID"] for r in changed] == [open_id]
    assert changed[0]["IsFullyPaid"] is False
    assert changed[0]["LastPaymentDate"] == "/Date(1740960000000)/"


def test_a_deleted_receivable_shows_in_sync_deleted(exact: Exact) -> None:
    victim = exact.info.receivables[exact.division][0]
    exact.state.delete_receivable(exact.division, victim)
    deleted = exact.get(
        f"{exact.division}/sync/Deleted",
        {
            "$select": "EntityKey,EntityType,DeletedBy,DeletedDate,Timestamp",
            "$filter": "Timestamp gt 1L",
        },
    ).json()["d"]["results"]
    assert [(d["EntityKey"], d["EntityType"]) for d in deleted] == [(victim, 10)]
    assert deleted[0]["DeletedBy"] == exact.info.user_id
    remaining = exact.get(
        f"{exact.division}/{TERMS}", {"$select": "ID", "$filter": f"ID eq guid'{victim}'"}
    ).json()["d"]["results"]
    assert remaining == []


def test_dates_are_dutch_wall_time_dressed_as_utc_and_filters_read_local_time(
    exact: Exact,
) -> None:
    exact.clock.set(datetime(2025, 7, 1, 10, 0, tzinfo=UTC))  # 12:00 in Amsterdam (CEST)
    exact.tokens = exact.state.issue_tokens_for_tests(exact.info.client_id)
    account = exact.info.accounts[exact.division][0]
    term = exact.state.add_receivable(exact.division, account, "100.00", date(2025, 7, 1))
    params = {"$select": "InvoiceDate,Modified", "$filter": f"ID eq guid'{term.id}'"}
    row = exact.get(f"{exact.division}/cashflow/Receivables", params).json()["d"]["results"][0]
    assert row["InvoiceDate"] == "/Date(1751328000000)/"  # 2025-07-01T00:00 as if UTC
    assert row["Modified"] == "/Date(1751371200000)/"  # 12:00 wall time as if UTC
    for literal, expected in (("11:30:00", 1), ("12:30:00", 0)):
        found = exact.get(
            f"{exact.division}/cashflow/Receivables",
            {
                "$select": "ID",
                "$filter": (
                    f"Account eq guid'{account}' and Modified gt datetime'2025-07-01T{literal}'"
                ),
            },
        ).json()["d"]["results"]
        assert len(found) == expected


def test_crm_accounts_refuses_a_get_without_a_mandatory_filter(exact: Exact) -> None:
    r = exact.get(f"{exact.division}/crm/Accounts", {"$select": "ID,Name"})
    assert r.status_code == 400
    assert r.json()["error"]["message"]["value"].startswith(
        "This endpoint has mandatory filtering applied. A GET request for this endpoint must have "
        "a $filter parameter with one of the following fields in the url:Accountant,"
    )


def test_crm_accounts_code_is_18_chars_right_aligned_and_trim_filter_finds_it(
    exact: Exact,
) -> None:
    rows = exact.get(
        f"{exact.division}/crm/Accounts",
        {"$select": "ID,Code,Status,IsSales", "$filter": "trim(Code) eq '100'"},
    ).json()
    (row,) = rows["d"]["results"]
    assert row["Code"] == " " * 15 + "100" and row["Status"] == "C" and row["IsSales"] is True


def test_receivables_of_one_account_come_60_to_a_page_with_next(exact: Exact) -> None:
    account = exact.info.accounts[exact.division][0]
    for n in range(70):
        exact.state.add_receivable(exact.division, account, 50 + n, date(2025, 2, 1))
    params = {
        "$select": "ID,Account,AmountDC,IsFullyPaid",
        "$filter": f"Account eq guid'{account}' and IsFullyPaid eq false",
    }
    page = exact.get(f"{exact.division}/cashflow/Receivables", params).json()["d"]
    assert len(page["results"]) == 60
    assert {r["Account"] for r in page["results"]} == {account}
    assert "$skiptoken=guid'" in page["__next"]


def test_without_accept_json_the_api_answers_xml(exact: Exact) -> None:
    r = exact.get(
        f"{exact.division}/{TERMS}",
        {"$select": "ID", "$top": "1"},
        headers={"Authorization": exact.headers()["Authorization"]},
    )
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/atom+xml")
    assert r.text.startswith("<?xml")


def test_records_carry_metadata_and_guid_strings(exact: Exact) -> None:
    row = exact.get(
        f"{exact.division}/crm/Contacts",
        {
            "$select": "ID,Account,Email,IsMainContact",
            "$filter": f"Account eq guid'{exact.info.accounts[exact.division][0]}'",
        },
    ).json()["d"]["results"][0]
    assert row["__metadata"]["uri"].endswith(f"crm/Contacts(guid'{row['ID']}')")
    assert row["IsMainContact"] is True and isinstance(row["Account"], str)


@pytest.mark.parametrize(
    ("text", "row", "expected"),
    [
        ("Timestamp gt 123L", {"Timestamp": 124}, True),
        ("ID eq guid'ABC-1'", {"ID": "abc-1"}, True),
        (
            "Modified gt datetime'2022-12-12T01:00:00'",
            {"Modified": datetime(2022, 12, 12, 0, 30, tzinfo=UTC)},
            True,
        ),  # 01:30 in Amsterdam
        (
            "trim(Code) eq '25' and IsFullyPaid eq false",
            {"Code": "  25", "IsFullyPaid": False},
            True,
        ),
        ("Name eq 'O''Brien' or Amount ge 10.5M", {"Name": "x", "Amount": Decimal(10)}, False),
        ("not (Amount lt 5)", {"Amount": Decimal(5)}, True),
    ],
)
def test_the_filter_parser_understands_exacts_dialect(
    text: str, row: dict[str, object], expected: bool
) -> None:
    assert evaluate(parse_filter(text), row.__getitem__) is expected


def test_a_broken_filter_is_a_400_with_exacts_error_shape(exact: Exact) -> None:
    with pytest.raises(ODataError):
        parse_filter("Timestamp gt")
    r = exact.get(f"{exact.division}/{TERMS}", {"$select": "ID", "$filter": "Nope eq 1"})
    assert r.status_code == 400
    assert "Nope" in r.json()["error"]["message"]["value"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Account eq guid'A' or Account eq guid'b'", ("Account", {"a", "b"})),
        (
            "(Account eq guid'a' or Account eq guid'b') and (IsFullyPaid eq false or "
            "Modified ge datetime'2026-03-01T00:00:00')",
            ("Account", {"a", "b"}),
        ),
        ("Account eq guid'a' or Code eq '1'", None),  # two fields: no single set to narrow by
        ("Account ne guid'a'", None),
        ("not (Account eq guid'a')", None),
        ("IsFullyPaid eq false or Modified ge datetime'2026-03-01T00:00:00'", None),
    ],
)
def test_a_filter_that_pins_one_field_to_some_values_names_them(
    text: str, expected: tuple[str, set[str]] | None
) -> None:
    found = required_values(parse_filter(text))
    assert (found and (found[0], set(found[1]))) == expected


def test_a_receivables_list_narrowed_by_account_returns_what_the_whole_filter_does(
    exact: Exact,
) -> None:
    """The list narrows by the accounts a filter pins before evaluating it on each record (a
    re-check of 20 accounts among 100,000 receivables); the rows are those the filter picks."""
    bulk_ledger(exact.state, exact.division, receivables=600, accounts=40)
    terms = exact.state.data(exact.division).terms.values()
    accounts = sorted({t.account for t in terms})
    chosen = accounts[::7]
    text = " or ".join(f"Account eq guid'{a.upper()}'" for a in chosen)
    params = {
        "$select": "ID,Account,IsFullyPaid",
        "$filter": f"({text}) and IsFullyPaid eq false",
    }
    page = exact.get(f"{exact.division}/cashflow/Receivables", params).json()["d"]
    got = {row["ID"] for row in page["results"]}
    while page.get("__next"):
        page = requests.get(page["__next"], headers=exact.headers(), timeout=10).json()["d"]
        got |= {row["ID"] for row in page["results"]}
    wanted = {t.id for t in terms if t.account in chosen and not t.is_fully_paid}
    assert wanted and got == wanted
