"""A platform outside the product plugs in through the registry alone.

The tiny platform (`support/tiny_platform.py`, a ledger over in-memory lists) is installed the
way a third party's would be: a distribution on ``sys.path`` whose ``entry_points.txt`` names it
in the group ``dunning_connector.platforms``. Nothing in `connector/` names it, yet its client
files are validated with located errors, it logs in, and a dunning run reminds its late payers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tiny_platform
from cryptography.fernet import Fernet
from tiny_platform import BOOKS, TinyBook

from connector.app import App
from connector.config import ConfigError, load_client
from connector.domain import Customer, Invoice, InvoiceStatus, Money
from connector.domain.clock import ManualClock
from connector.platforms import daily_api_budget, login, registry
from connector.run import run_tenant

SUPPORT = Path(tiny_platform.__file__).parent
MONDAY_10 = datetime(2026, 3, 2, 10, tzinfo=ZoneInfo("Europe/Amsterdam"))
CLIENT = """\
display_name: Tiny Trading B.V.
platform: tiny
tiny:
  book: acme
policy: nl-b2b-standard
language: nl
sender: {name: Tiny Trading B.V., email: debiteuren@tiny.example}
"""


def _install(tmp_path: Path) -> Path:
    """A distribution `tiny-books` declaring the platform `tiny`; returns its site folder."""
    site = tmp_path / "site"
    dist = site / "tiny_books-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: tiny-books\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[dunning_connector.platforms]\ntiny = tiny_platform:PLATFORM\n"
    )
    return site


@pytest.fixture
def tiny_installed(tmp_path: Path) -> Iterator[None]:
    """The distribution on sys.path (and the registry reading it again)."""
    site = _install(tmp_path)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(site))
        registry.refresh()
        yield
    registry.refresh()


@pytest.fixture
def config_dir(tmp_path: Path, tiny_installed: None) -> Path:
    folder = tmp_path / "config"
    (folder / "clients").mkdir(parents=True)
    (folder / "connector.yaml").write_text(
        f"database_url: sqlite:///{tmp_path / 'dunning.db'}\ntimezone: Europe/Amsterdam\n"
    )
    (folder / "clients" / "tiny-trading.yaml").write_text(CLIENT)
    return folder


def write_client(config_dir: Path, text: str) -> None:
    (config_dir / "clients" / "tiny-trading.yaml").write_text(text)


def test_the_registry_finds_the_installed_platform_beside_the_products(
    tiny_installed: None,
) -> None:
    assert {"zoho", "exact", "tiny"} <= set(registry.platforms())
    assert registry.get_platform("tiny") is tiny_platform.PLATFORM


def test_the_platforms_own_commands_are_mounted_on_dunning(tmp_path: Path) -> None:
    """A fresh `dunning` process with the distribution on its path: `dunning tiny ...` exists."""
    site = _install(tmp_path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(SUPPORT)])}
    result = subprocess.run(
        [sys.executable, "-m", "connector.cli", "tiny", "about"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Tiny Books: a ledger over in-memory lists\n"


def test_the_platform_section_is_validated_by_the_platforms_model_with_located_errors(
    config_dir: Path,
) -> None:
    write_client(config_dir, CLIENT.replace("  book: acme\n", "  book: acme\n  daily_calls: 0\n"))
    with pytest.raises(ConfigError) as raised:
        load_client(config_dir, "tiny-trading", {})
    assert str(raised.value) == (
        f"{config_dir}/clients/tiny-trading.yaml: tiny.daily_calls: "
        "Input should be greater than or equal to 1 (line 5)"
    )

    write_client(config_dir, CLIENT.replace("  book: acme\n", "  bok: acme\n"))
    with pytest.raises(ConfigError) as raised:
        load_client(config_dir, "tiny-trading", {})
    assert "tiny.bok: unknown key (did you mean 'book'?) (line 4)" in str(raised.value)


def test_an_unknown_platform_is_one_line_naming_the_key_line_and_the_installed_ones(
    config_dir: Path,
) -> None:
    write_client(config_dir, CLIENT.replace("platform: tiny", "platform: tinny"))
    with pytest.raises(ConfigError) as raised:
        load_client(config_dir, "tiny-trading", {})
    assert str(raised.value).startswith(
        f"{config_dir}/clients/tiny-trading.yaml: platform: not an installed platform "
        "(known: exact, moneybird, tiny, zoho) (line 2)"
    )


def test_a_dunning_run_on_the_tiny_platform_reminds_the_late_payer(config_dir: Path) -> None:
    BOOKS["acme"] = book = TinyBook(
        customers=[Customer("C-1", "Jansen Bouw B.V.", email="ap@jansen.example")],
        invoices=[
            Invoice(
                "I-1",
                "INV-2026-0042",
                "C-1",
                InvoiceStatus.OPEN,
                issue_date=date(2026, 1, 15),
                due_date=date(2026, 2, 14),
                total=Money(Decimal("1210.00"), "EUR"),
                balance=Money(Decimal("1210.00"), "EUR"),
            )
        ],
    )
    clock = ManualClock(MONDAY_10)
    app = App.open(config_dir, {"DUNNING_SECRET_KEY": Fernet.generate_key().decode()})
    try:
        client = app.require("tiny-trading")
        assert daily_api_budget(client) == 500
        said: list[str] = []
        login("tiny-trading", client, app.tokens, clock, echo=said.append)
        assert said == ["tiny-trading: tiny book acme connected"]

        result = run_tenant(app.tenant("tiny-trading", clock), clock)
    finally:
        app.engine.dispose()
        BOOKS.pop("acme", None)

    assert result.ok, result.summary()
    assert result.dispatch.sent == 1, result.summary()
    [(action, mail)] = book.sent
    assert action.customer_ref == "C-1" and action.invoice_refs == ("I-1",)
    assert mail is not None and mail.to == ("ap@jansen.example",)
    assert "INV-2026-0042" in mail.text
