"""A client's template folder is compiled once and shared, yet changes to it still count: a
tenant is opened per run, console page and preview, and `serve` runs for months (issue #13: a
console page of recent actions recompiled its templates about 40 times)."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from connector.domain import Action, ActionItem, ActionKind, Customer, Invoice, InvoiceStatus, Money
from connector.render import MessageContext, Renderer

TODAY = date(2026, 3, 12)


def _context() -> MessageContext:
    money = Money.of("250", "EUR")
    invoice = Invoice(
        "I1", "INV-1", "C1", InvoiceStatus.OPEN, date(2026, 1, 2), date(2026, 2, 1), money, money
    )
    action = Action(
        "acme", "C1", ActionKind.REMINDER, "reminder", TODAY, (ActionItem("I1", "s", money),)
    )
    return MessageContext.for_action(
        action,
        Customer("C1", "Jan Jansen", "jan@example.nl"),
        {"I1": invoice},
        sender={"name": "Acme B.V.", "email": "ar@acme.example", "phone": None},
        company="Acme",
        today=TODAY,
        language="nl",
    )


def _override(folder: Path, body: str, mtime: int) -> None:
    path = folder / "nl" / "reminder.j2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        body,
        encoding="utf-8",
    )
    os.utime(path, ns=(mtime, mtime))


def test_two_renderers_of_one_client_share_the_compiled_templates(tmp_path: Path) -> None:
    assert Renderer(tmp_path).env is Renderer(tmp_path).env
    assert Renderer().env is Renderer().env
    assert Renderer(tmp_path).env is not Renderer().env


def test_a_template_added_to_the_clients_folder_is_used_by_the_next_renderer(
    tmp_path: Path,
) -> None:
    before = Renderer(tmp_path).render("reminder", _context(), ["jan@example.nl"])
    assert "Eigen tekst" not in before.subject
    source = (Path(__file__).parents[3] / "connector/render/templates/nl/reminder.j2").read_text(
        encoding="utf-8"
    )
    _override(tmp_path, source.replace("{{", "Eigen tekst. {{", 1), 1_700_000_000_000_000_000)

    after = Renderer(tmp_path).render("reminder", _context(), ["jan@example.nl"])

    assert "Eigen tekst" in after.subject


def test_an_edited_template_is_used_by_the_next_renderer(tmp_path: Path) -> None:
    source = (Path(__file__).parents[3] / "connector/render/templates/nl/reminder.j2").read_text(
        encoding="utf-8"
    )
    _override(tmp_path, source.replace("{{", "Versie een. {{", 1), 1_700_000_000_000_000_000)
    assert "Versie een" in Renderer(tmp_path).render("reminder", _context(), ["x@y.nl"]).subject

    _override(tmp_path, source.replace("{{", "Versie twee. {{", 1), 1_700_000_100_000_000_000)

    assert "Versie twee" in Renderer(tmp_path).render("reminder", _context(), ["x@y.nl"]).subject
