"""The approvals page's data (`connector.approval.queue`, `attachment`): each waiting action
with customer, invoices, amounts, the step in words and its whole message, without a platform
call; rejecting keeps who and why."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from console_store import NOW, console_app

from connector.app import App
from connector.approval import attachment, queue, reject, send_digest
from connector.domain import Money
from connector.domain.clock import ManualClock

CLOCK = ManualClock(NOW)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    application = console_app(tmp_path)
    yield application
    application.engine.dispose()


def test_a_waiting_action_is_shown_with_names_amounts_step_and_whole_message(app: App) -> None:
    (view,) = queue(app, "acme", CLOCK, "nl")
    assert view.waiting.customer_name == "Bakkerij Bos"
    assert view.waiting.invoices == (("INV-42", Money.of("410.00", "EUR")),)
    assert view.label == "Herinnering met rekeningoverzicht"
    assert view.message is not None and view.problem is None
    assert view.message.to == ("bos@bakkerij.example",)
    assert "INV-42" in view.message.text and "Bakkerij Bos" in view.message.text


def test_a_platform_that_mails_itself_attaches_no_pdf_and_an_unknown_file_is_refused(
    app: App,
) -> None:
    (view,) = queue(app, "acme", CLOCK, "en")
    assert view.message is not None and view.message.attachments == ()
    with pytest.raises(ValueError, match="attaches no file"):
        attachment(app, "acme", view.waiting.id, "statement.pdf", CLOCK)


def test_a_rejected_action_leaves_the_queue(app: App) -> None:
    (view,) = queue(app, "acme", CLOCK, "en")
    reject(app, "acme", [view.waiting.id], "pays Friday", "anna (console)", CLOCK)
    assert queue(app, "acme", CLOCK, "en") == []


def test_on_a_platform_that_attaches_pdfs_the_statement_is_named_and_can_be_opened(
    tmp_path: Path,
) -> None:
    from console_store import fill_store
    from cryptography.fernet import Fernet

    from sandboxes.exact.world import write_config

    config = tmp_path / "config"
    write_config(
        config, "http://127.0.0.1:9", 9, {"acme": 1001}, f"sqlite:///{tmp_path / 'x.db'}", {}
    )
    env = {
        "EXACT_CLIENT_ID": "id",
        "EXACT_CLIENT_SECRET": "secret",
        "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
    }
    app = App.open(config, env)
    try:
        fill_store(app)
        (view,) = queue(app, "acme", CLOCK, "nl")
        assert view.message is not None
        (name,) = view.message.attachments
        found, content, mime = attachment(app, "acme", view.waiting.id, name, CLOCK)
        assert (found, mime) == (name, "application/pdf") and content.startswith(b"%PDF")
    finally:
        app.engine.dispose()


def test_the_daily_digest_links_to_the_consoles_approvals_page(tmp_path: Path) -> None:
    from email.message import EmailMessage

    app = console_app(
        tmp_path,
        client_file="approval: {required: true, notify: owner@acme.example}\n",
        connector_file="console: {public_url: 'https://dunning.example.nl'}\n",
    )
    sent: list[EmailMessage] = []
    try:
        assert send_digest(app, "acme", CLOCK, send=sent.append)
    finally:
        app.engine.dispose()
    (message,) = sent
    part = message.get_body(("plain",))
    assert part is not None
    assert "https://dunning.example.nl/clients/acme/approvals" in part.get_content()
