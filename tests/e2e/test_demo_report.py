"""`dunning demo`: 90 days on the demo ledger; the report shows the ladder and no wrong mail."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from connector.demo import simulate
from connector.legal.calendar import BusinessCalendar
from connector.policy.builtin import NL_B2B_STANDARD

OFFSETS = {s.id: s.offset_days for s in NL_B2B_STANDARD.steps}


def test_ninety_demo_days_follow_the_ladder_and_never_remind_a_customer_who_paid(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    result = simulate(tmp_path, days=90, echo=lines.append)
    assert result.mails_after_payment == [], result.mails_after_payment
    for kind in ("reminder", "call_task", "firm_reminder", "thank_you"):
        assert result.sent_by_kind[kind] > 0, f"no {kind} in 90 demo days: {result.sent_by_kind}"
    html = result.report.read_text()
    assert "reminder + statement" in html and "call_task" in html

    # every step went out on a business day, no earlier than its offset after the due date
    import sqlite3

    db = sqlite3.connect(tmp_path / "demo.db")  # the demo never uses the production name
    rows = db.execute(
        "SELECT a.done_at, i.step, inv.due_date FROM outbox_action a "
        "JOIN outbox_item i ON i.action_id = a.id "
        "JOIN invoice inv ON inv.ref = i.invoice_ref AND inv.tenant = a.tenant "
        "WHERE a.status = 'sent' AND i.step != 'thank-you'"
    ).fetchall()
    assert rows
    calendar = BusinessCalendar("NL")
    zone = ZoneInfo("Europe/Amsterdam")
    from datetime import UTC, date, datetime

    for done_at, step, due in rows:
        done = datetime.fromisoformat(done_at).replace(tzinfo=UTC).astimezone(zone).date()
        assert calendar.is_business_day(done), f"{step} went out on {done:%A %d %B}"
        assert done >= date.fromisoformat(due) + timedelta(days=OFFSETS[step]), (step, due, done)
