"""`dunning demo`: 90 days on the demo ledger; the report is the product's face (issue #16): the
client report's KPIs, ageing, DSO and charts, the day-by-day story in plain words with names,
invoice numbers and amounts, call tasks as tasks, links to the sample PDFs; no internal ids or
enum names. It is looked at in headless Chromium; `DUNNING_UPDATE_DOCS=1` refreshes the picture
the README shows (docs/demo-report.png)."""

from __future__ import annotations

import html as htmllib
import os
import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from repo import REPO as ROOT

from connector.config.policy_builtin import BUILTIN
from connector.legal.calendar import BusinessCalendar
from sandboxes.demo import simulate

ARTIFACTS = ROOT / "test-artifacts"
DOCS_PICTURE = ROOT / "docs" / "demo-report.png"
ENUM_NAMES = ("call_task", "firm_reminder", "thank_you", "notice_of_default", "handoff", "sent")
#: the earliest day after the due date each step id may go out, over the ladders the demo uses
OFFSETS: dict[str, int] = {}
for _name in ("nl-b2b-standard", "nl-b2c-wik"):
    for _step in BUILTIN[_name].steps:
        OFFSETS[_step.id] = min(_step.offset_days, OFFSETS.get(_step.id, _step.offset_days))


def visible_text(page: str) -> str:
    body = re.sub(r"<(style|svg)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return htmllib.unescape(" ".join(re.sub(r"<[^>]+>", " ", body).split()))


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot(page: Path, shot: Path, profile: Path) -> bytes:
    browser = chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run must install Debian's chromium")
        pytest.skip("chromium not installed (apt-get install chromium); CI installs it")
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.unlink(missing_ok=True)
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            "--window-size=1100,2200",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"chromium failed: {result.stderr[-2000:]}"
    assert shot.is_file(), f"no screenshot written: {result.stderr[-2000:]}"
    return shot.read_bytes()


def small_png(source: Path, target: Path) -> None:
    """The screenshot at 900 px wide in 128 colours: small enough to keep in the repository."""
    from PIL import Image

    with Image.open(source) as img:
        width = 900
        scaled = img.convert("RGB").resize((width, round(img.height * width / img.width)))
        scaled.quantize(colors=128).save(target, optimize=True)


def test_ninety_demo_days_make_a_report_people_can_read_and_never_remind_a_customer_who_paid(
    tmp_path: Path,
) -> None:
    lines: list[str] = []
    result = simulate(tmp_path, days=90, echo=lines.append)
    assert result.mails_after_payment == [], result.mails_after_payment
    for kind in ("reminder", "call_task", "firm_reminder", "thank_you"):
        assert result.sent_by_kind[kind] > 0, f"no {kind} in 90 demo days: {result.sent_by_kind}"
    page = result.report.read_text()
    text = visible_text(page)

    # the client report: KPIs, ageing, DSO and charts, in the client's language (Dutch)
    for words in ("Openstaand", "Waarvan vervallen", "DSO", "Ouderdom", "Ontvangsten"):
        assert words in text, words
    assert page.count("<svg") >= 3
    # the story in plain words: names, invoice numbers and amounts
    assert re.search(
        r"Herinnering met rekeningoverzicht aan .+? B\.V\. voor INV-\d{6}.*?, € [\d.]+,\d\d open",
        text,
    ), text[:3000]
    assert re.search(r"Beltaak bel .+? over INV-\d{6}.*?, € [\d.]+,\d\d open", text)
    assert "class='tag task'>Beltaak" in page, "call tasks are shown as tasks"
    assert "Bedankmail aan" in text and "betaalde €" in text
    # no internal ids or enum names on the page
    assert not re.search(r"\b4600000000\d+\b", text), "a platform id reached the page"
    for name in ENUM_NAMES:
        assert not re.search(rf"\b{name}\b", text), f"enum name {name!r} on the page"
    # links to the sample PDFs, which exist next to the report
    links = re.findall(r"href='(samples/[^']+)'", page)
    assert "samples/fourteen_day_letter.pdf" in links and "samples/statement.pdf" in links
    for link in links:
        assert (tmp_path / link).is_file(), link
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)

    # every step went out on a business day, no earlier than its offset after the due date
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
    for done_at, step, due in rows:
        done = datetime.fromisoformat(done_at).replace(tzinfo=UTC).astimezone(zone).date()
        assert calendar.is_business_day(done), f"{step} went out on {done:%A %d %B}"
        assert done >= date.fromisoformat(due) + timedelta(days=OFFSETS[step]), (step, due, done)

    # looked at in a browser: the picture the README shows
    shot = ARTIFACTS / "demo-report.png"
    png = screenshot(result.report, shot, tmp_path / "chromium-profile")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000, "not a picture of the page"
    if os.environ.get("DUNNING_UPDATE_DOCS"):
        small_png(shot, DOCS_PICTURE)
    assert DOCS_PICTURE.is_file() and DOCS_PICTURE.stat().st_size < 400_000


def test_the_demo_report_reads_in_english_too(tmp_path: Path) -> None:
    result = simulate(tmp_path, days=20, echo=lambda _: None, language="en")
    text = visible_text(result.report.read_text())
    for words in ("Open receivables", "Of which overdue", "Ageing", "Day by day"):
        assert words in text, words
    assert re.search(r"Reminder with statement to .+? for INV-\d{6}.*?, €[\d,]+\.\d\d open", text)
    assert "Herinnering" not in text
