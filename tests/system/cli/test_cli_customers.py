"""Customers by the names people know: number, name (or its start), e-mail or platform id.

The store is a real SQLite database filled the way a sync fills it; the commands run in-process
through the real `dunning` command group.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from connector.app import App
from connector.cli import app as dunning
from connector.customers import AmbiguousCustomer, UnknownCustomer, resolve_customer
from connector.domain import Customer, Invoice, InvoiceStatus, Money
from connector.store import ledger_repo, page_tokens
from connector.store import pauses as pause_repo
from connector.store.db import session_scope
from sandboxes.zoho.world import WorldClient, write_config

SYNCED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CUSTOMERS = [
    Customer("4600001", "Drukkerij Jansen B.V.", "boekhouding@jansen.example", number="1001"),
    Customer("4600002", "Drukkerij de Vries", "info@devries.example", number="1002"),
    Customer("4600003", "Bakkerij Bos", "bos@bakkerij.example", number="2001"),
    Customer("4600004", "Bakkerij Bos Noord", "noord@bakkerij.example", number="2002"),
]


@pytest.fixture
def installation(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    env = {
        "ZOHO_CLIENT_ID": "id",
        "ZOHO_CLIENT_SECRET": "secret",
        "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
    }
    config = tmp_path / "config"
    write_config(
        config,
        "http://127.0.0.1:9",
        [WorldClient("acme", "20070001")],
        f"sqlite:///{tmp_path / 'dunning.db'}",
        {},
    )
    application = App.open(config, env)
    with session_scope(application.engine) as session:
        ledger_repo.upsert_customers(session, "acme", CUSTOMERS, SYNCED)
        ledger_repo.upsert_invoices(
            session,
            "acme",
            [
                Invoice(
                    "inv-1",
                    "INV-000039",
                    "4600001",
                    InvoiceStatus.OPEN,
                    date(2026, 1, 5),
                    date(2026, 2, 4),
                    Money.of("1234.50", "EUR"),
                    Money.of("1234.50", "EUR"),
                ),
                Invoice(
                    "inv-2",
                    "INV-000040",
                    "4600001",
                    InvoiceStatus.OPEN,
                    date(2026, 2, 20),
                    date(2026, 3, 22),
                    Money.of("100.00", "EUR"),
                    Money.of("100.00", "EUR"),
                ),
            ],
            SYNCED,
        )
    application.engine.dispose()
    yield config, env


def cli(config: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(dunning, ["--config", str(config), *args], env=env)
    return result.exit_code, result.output


def paused(config: Path, env: dict[str, str]) -> list[str]:
    application = App.open(config, env)
    try:
        with session_scope(application.engine) as session:
            return sorted(p.customer_ref for p in pause_repo.live(session, "acme"))
    finally:
        application.engine.dispose()


@pytest.mark.parametrize(
    "text",
    ["Drukkerij Jansen B.V.", "drukkerij jansen", "1001", "BOEKHOUDING@jansen.example", "4600001"],
)
def test_pause_by_name_number_email_or_id_pauses_exactly_that_customer(
    installation: tuple[Path, dict[str, str]], text: str
) -> None:
    config, env = installation
    code, out = cli(config, env, "pause", "acme", text, "--kind", "dispute", "--reason", "x")
    assert code == 0, out
    assert "paused Drukkerij Jansen B.V." in out
    assert paused(config, env) == ["4600001"]
    code, out = cli(config, env, "resume", "acme", text)
    assert code == 0 and "resumed Drukkerij Jansen B.V." in out, out
    assert paused(config, env) == []


@pytest.mark.parametrize("text", ["CUST-42", "Drukkerij Pietersen", "nobody@example.nl"])
def test_an_unknown_customer_is_an_error_and_nothing_is_paused(
    installation: tuple[Path, dict[str, str]], text: str
) -> None:
    config, env = installation
    code, out = cli(config, env, "pause", "acme", text, "--kind", "dispute")
    assert code == 2, out
    assert f"no customer matches {text!r}" in out and "paused" not in out
    assert paused(config, env) == []


def test_an_ambiguous_name_lists_the_candidates_and_pauses_nobody(
    installation: tuple[Path, dict[str, str]],
) -> None:
    config, env = installation
    code, out = cli(config, env, "pause", "acme", "drukkerij", "--kind", "dispute")
    assert code == 2, out
    assert "matches 2 customers" in out
    assert "Drukkerij Jansen B.V. (1001" in out and "Drukkerij de Vries (1002" in out
    assert paused(config, env) == []


def test_an_exact_name_wins_over_a_longer_name_it_starts(
    installation: tuple[Path, dict[str, str]],
) -> None:
    config, env = installation
    application = App.open(config, env)
    try:
        assert resolve_customer(application.engine, "acme", "bakkerij bos").ref == "4600003"
        assert resolve_customer(application.engine, "acme", "Bakkerij Bos N").ref == "4600004"
        with pytest.raises(AmbiguousCustomer) as ambiguous:
            resolve_customer(application.engine, "acme", "Bakkerij")
        assert [c.ref for c in ambiguous.value.candidates] == ["4600003", "4600004"]
        with pytest.raises(UnknownCustomer):
            resolve_customer(application.engine, "other-client", "1001")
    finally:
        application.engine.dispose()


def test_statement_and_letter_take_the_customer_by_name(
    installation: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    config, env = installation
    pdf = tmp_path / "s.pdf"
    code, out = cli(
        config, env, "statement", "acme", "jansen@", "--out", str(pdf), "--now", "2026-03-02"
    )
    assert code == 2 and "no customer matches" in out, out
    code, out = cli(
        config, env, "statement", "acme", "Drukkerij J", "--out", str(pdf), "--now", "2026-03-02"
    )
    assert code == 0, out
    assert "statement for Drukkerij Jansen B.V." in out and pdf.read_bytes().startswith(b"%PDF")
    assert "fontTools" not in out, "font subsetting logged its INFO lines"
    code, out = cli(config, env, "letter", "acme", "1001", "--out", str(pdf), "--now", "2026-03-02")
    assert code == 0 and "letter for Drukkerij Jansen B.V." in out, out


def test_customers_shows_number_name_amounts_and_the_id_last(
    installation: tuple[Path, dict[str, str]],
) -> None:
    config, env = installation
    code, out = cli(config, env, "customers", "acme", "--search", "1001", "--now", "2026-03-02")
    assert code == 0, out
    header, _rule, row, summary = out.splitlines()
    assert header.split()[:6] == ["number", "customer", "profile", "ladder", "open", "overdue"]
    assert header.split()[-1] == "id"
    assert row.startswith("1001") and "Drukkerij Jansen B.V." in row
    amounts = row.replace("\xa0", " ")
    assert "€ 1.334,50" in amounts and "€ 1.234,50" in amounts  # open, of which overdue
    assert row.split()[-1] == "4600001"
    assert summary.startswith("acme: 1 customer(s)")
    code, out = cli(config, env, "customers", "acme", "--search", "zzz")
    assert code == 2 and "no customer matches 'zzz'" in out


def test_an_exact_account_keeps_its_code_as_the_customer_number() -> None:
    from adapters.exact.mapping import customer_from_account

    account = {
        "ID": "6a1b2c3d-0000-4000-8000-000000000001",
        "Name": "Drukkerij Jansen B.V.",
        "Code": "              1001",
        "Modified": "/Date(1767225600000)/",
    }
    assert customer_from_account(account).number == "1001"


def test_pause_and_resume_are_on_the_audit_log_with_who_and_which_command(
    installation: tuple[Path, dict[str, str]],
) -> None:
    from connector.status.audit import audit_log

    config, env = installation
    cli(config, env, "pause", "acme", "1001", "--kind", "dispute", "--reason", "x", "--by", "ann")
    cli(config, env, "resume", "acme", "1001", "--by", "bob")
    application = App.open(config, env)
    try:
        lines = audit_log(application.engine, "acme")
    finally:
        application.engine.dispose()
    assert [(line.who, line.where) for line in lines] == [
        ("bob", "command: dunning resume"),
        ("ann", "command: dunning pause"),
    ]
    assert lines[1].what.startswith("paused Drukkerij Jansen B.V.: ")


# -- `dunning page-link`: the link to the customer's own page (issue #14) ------------------------
PAGE_NOW = ["--now", "2026-03-02T10:00:00+01:00"]


def with_public_url(config: Path) -> None:
    with (config / "connector.yaml").open("a") as extra:
        extra.write("console:\n  public_url: https://dunning.example.nl\n")


def opens(config: Path, env: dict[str, str], url: str) -> str | None:
    application = App.open(config, env)
    try:
        with session_scope(application.engine) as session:
            found = page_tokens.find(
                session, url.rsplit("/", 1)[1], now=datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
            )
        return found.customer_ref if found else None
    finally:
        application.engine.dispose()


def test_the_link_is_printed_reused_and_revoked(installation: tuple[Path, dict[str, str]]) -> None:
    config, env = installation
    with_public_url(config)
    code, out = cli(config, env, "page-link", "acme", "Drukkerij Jansen", *PAGE_NOW)
    assert code == 0, out
    url = out.strip()
    assert url.startswith("https://dunning.example.nl/p/")
    assert cli(config, env, "page-link", "acme", "1001", *PAGE_NOW)[1].strip() == url
    assert opens(config, env, url) == "4600001"
    code, out = cli(config, env, "page-link", "acme", "1001", "--revoke", *PAGE_NOW)
    assert code == 0 and "Drukkerij Jansen B.V.: 1 page link(s) revoked" in out
    assert opens(config, env, url) is None


def test_without_a_public_url_there_is_no_page(installation: tuple[Path, dict[str, str]]) -> None:
    config, env = installation
    code, out = cli(config, env, "page-link", "acme", "1001", *PAGE_NOW)
    assert code == 2
    assert out.strip() == (
        "error: connector.yaml sets no console.public_url: there is no customer page to link to"
    )
