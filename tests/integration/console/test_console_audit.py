"""The audit log page and its CSV export (issue #13): who did what, when, from which page or
command; the connector's own events named as such; only for a client the person may see."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from console_support import sign_in
from fastapi.testclient import TestClient

from connector.console.deps import ConsoleContext
from connector.store import audit


def _record(ctx: ConsoleContext) -> None:
    now = ctx.clock.now()
    with ctx.session() as session:
        audit.record(
            session,
            "acme",
            "approval.digest",
            "approval digest mailed",
            now=now - timedelta(days=3),
        )
        audit.record(
            session,
            "acme",
            "console.action",
            "paused Jansen B.V. until 16 March 2026: promised to pay",
            now=now - timedelta(hours=1),
            actor="acme@console.example",
            source="console: customer",
        )
        audit.record(
            session, "bakker", "console.action", '=HYPERLINK("x")', now=now, actor="x@y.example"
        )


def test_the_page_lists_who_did_what_newest_first(
    browser: TestClient, console_ctx: ConsoleContext
) -> None:
    _record(console_ctx)
    sign_in(browser, "acme@console.example")
    page = browser.get("/clients/acme/audit?everything=1").text
    assert page.index("paused Jansen B.V.") < page.index("approval digest mailed")
    assert "acme@console.example" in page and "console: customer" in page
    assert "the connector" in page and "approval.digest" not in page
    people = browser.get("/clients/acme/audit").text  # people's actions by default
    assert "paused Jansen B.V." in people and "approval digest mailed" not in people


def test_the_period_filter(browser: TestClient, console_ctx: ConsoleContext) -> None:
    _record(console_ctx)
    sign_in(browser, "acme@console.example")
    page = browser.get("/clients/acme/audit?start=2026-03-01&end=2026-03-02&everything=1").text
    assert "paused Jansen B.V." in page and "approval digest mailed" not in page


def test_the_csv_export(browser: TestClient, console_ctx: ConsoleContext) -> None:
    _record(console_ctx)
    sign_in(browser, "admin@console.example")
    for url in (
        "/clients/acme/audit?format=csv&everything=1",
        "/clients/acme/audit.csv?everything=1",
    ):
        answer = browser.get(url)
        assert answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(answer.text)))
        assert rows[0] == ["when", "who", "where", "what"]
        assert rows[1] == [
            "2026-03-02T09:00:00+01:00",
            "acme@console.example",
            "console: customer",
            "paused Jansen B.V. until 16 March 2026: promised to pay",
        ]
        assert rows[2][1] == "the connector"
    rows = list(csv.reader(io.StringIO(browser.get("/clients/bakker/audit.csv").text)))
    assert rows[1][3] == '\'=HYPERLINK("x")'  # no formula in a spreadsheet


def test_another_clients_log_is_not_found(browser: TestClient, console_ctx: ConsoleContext) -> None:
    sign_in(browser, "acme@console.example")
    for url in (
        "/clients/bakker/audit",
        "/clients/bakker/audit.csv",
        "/clients/bakker/audit?format=csv",
    ):
        assert browser.get(url).status_code == 404
