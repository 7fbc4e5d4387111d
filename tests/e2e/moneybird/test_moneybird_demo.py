"""`dunning demo --platform moneybird`: the demo over the Moneybird sandbox, where Moneybird sends
the reminders itself and its own reminder workflow is paused for every invoice the connector
manages."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from connector.cli import app as cli
from sandboxes.demo import simulate


def test_demo_days_send_reminders_through_moneybird_and_never_after_a_payment(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    result = simulate(tmp_path, platform="moneybird", days=30, echo=lines.append)
    assert result.mails_after_payment == [], result.mails_after_payment
    assert result.sent_by_kind["reminder"] > 0
    assert result.report.is_file()
    facts = "\n".join(result.summary)
    assert "reminders Moneybird sent for us:" in facts
    assert "reminders Moneybird's own workflow sent while the connector ran: 0" in facts


def test_the_demo_command_takes_moneybird(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    r = CliRunner().invoke(
        cli, ["demo", "--platform", "moneybird", "--days", "3", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "demo (Moneybird)" in r.output and (out / "report.html").is_file()
