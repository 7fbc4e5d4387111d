"""`dunning demo --platform exact`: the demo over the Exact sandbox and a local SMTP server."""

from __future__ import annotations

from pathlib import Path

from sandboxes.demo import simulate


def test_demo_days_mail_reminders_record_them_in_exact_and_never_remind_a_payer(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    result = simulate(tmp_path, platform="exact", days=8, echo=lines.append)
    assert result.mails_after_payment == [], result.mails_after_payment
    assert result.sent_by_kind["reminder"] > 0
    assert result.report.is_file()
    assert any("mails caught by the SMTP server" in line for line in result.summary)
