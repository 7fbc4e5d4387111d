"""`dunning report`: ageing buckets, DSO, collections per step, actions and hand-offs, from the
store; the HTML report is self-contained and is looked at in headless Chromium.

Chromium: CI installs Debian's package (`.ci/run`), so there a missing browser FAILS the test
(the issue requires the screenshot). On a developer machine without it the test skips and says
how to install it, so the rest of the suite stays usable.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from repo import REPO

from connector.domain import Money
from connector.report import BUCKETS, client_report
from connector.report.ageing import BEFORE_ANY, bucket_of
from connector.report.render import render_csv, render_html, render_json
from sandboxes.world import local_moment
from sandboxes.zoho.generate import DemoInfo, seed_demo
from sandboxes.zoho.state import ZohoState
from sandboxes.zoho.world import ZohoWorld

ARTIFACTS = REPO / "test-artifacts"
START = date(2026, 1, 5)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZohoWorld]:
    """Thirty days of daily runs on a small demo ledger, so steps, payments and ageing exist."""
    from sandboxes.zoho.generate import PaymentSimulator

    def small(state: ZohoState, org: str, seed: int) -> DemoInfo:
        return seed_demo(state, seed=seed, customers=12, invoices=60, organization_id=org)

    w = ZohoWorld.open(
        tmp_path_factory.mktemp("report"), start=local_moment(START, 8), seed=5, populate=small
    )
    payer = PaymentSimulator(w.state, w.organization(), 5)
    for n in range(30):
        day = START + timedelta(days=n)
        result = w.run("demo", at=local_moment(day, 9))
        assert result.ok, result.error
        w.clock.set(local_moment(day, 12))
        payer.simulate_day(day)
    w.run("demo", at=local_moment(START + timedelta(days=30), 9))
    yield w
    w.close()


def test_buckets_follow_days_past_due() -> None:
    assert [bucket_of(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 400)] == [
        "not due",
        "not due",
        "1-30",
        "1-30",
        "31-60",
        "31-60",
        "61-90",
        "61-90",
        ">90",
        ">90",
    ]


def test_report_figures_agree_with_the_store(world: ZohoWorld) -> None:
    report = client_report(world.app, "demo", world.clock.now())
    assert list(report.ageing) == list(BUCKETS)
    total = sum((report.ageing[b] for b in BUCKETS), Money.zero(report.currency))
    assert total == report.open_total
    sent = [a for a in world.actions("demo") if a["status"] == "sent"]
    assert sum(report.actions_in_period.values()) == len(sent), (
        "every action sent in the 90-day period must be counted"
    )
    assert report.dso_days is not None and report.dso_days > 0
    credited = [k for k, v in report.collected_after_step.items() if v.is_positive()]
    thanked = [a for a in sent if a["kind"] == "thank_you"]
    assert thanked, "the scenario should have customers who paid after a reminder"
    assert set(credited) - {BEFORE_ANY}, (
        f"customers paid after reminders, yet nothing was credited to a step: {credited}"
    )
    weekly = sum((v for _, v in report.collections_by_week), Money.zero(report.currency))
    assert weekly.is_positive(), "no collections per week in a period with payments"


def test_csv_and_json_carry_the_same_figures(world: ZohoWorld) -> None:
    report = client_report(world.app, "demo", world.clock.now())
    data = json.loads(render_json(report))
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    ageing_csv = {r["key"]: r["value"] for r in rows if r["section"] == "ageing"}
    assert ageing_csv == data["ageing"]
    assert data["open_total"] == str(report.open_total.amount)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_html_report_is_self_contained_and_renders_in_headless_chromium(
    world: ZohoWorld, tmp_path: Path
) -> None:
    page = render_html(client_report(world.app, "demo", world.clock.now()))
    assert page.count("<svg") >= 2, "the report must have the ageing and collections charts"
    external = re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert not external, f"the report loads external assets: {external}"
    assert "@import" not in page and "url(" not in page
    html_file = tmp_path / "report.html"
    html_file.write_text(page, encoding="utf-8")

    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed; .ci/run must install Debian's chromium")
        pytest.skip("chromium not installed (apt-get install chromium); CI installs it")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-demo.png"
    shot.unlink(missing_ok=True)
    profile = tmp_path / "chromium-profile"
    result = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            "--window-size=1100,1800",
            f"--screenshot={shot}",
            html_file.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"chromium failed: {result.stderr[-2000:]}"
    assert shot.is_file(), f"no screenshot written: {result.stderr[-2000:]}"
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000, (
        "the screenshot is not a real picture of the page"
    )
