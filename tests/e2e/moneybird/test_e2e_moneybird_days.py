"""The connector against the Moneybird sandbox (sandboxes/moneybird, over loopback HTTP) and a real
SMTP server (aiosmtpd), day by day for six weeks: the demo administration's customers pay by
their habits, Moneybird's own workflow runs every morning before the connector does.

Issue #17's promises, end to end: no reminder reaches a customer after the invoice was paid;
Moneybird's own workflow never reminds an invoice the connector manages (it is paused from the
first sync); reminders are sent by Moneybird itself; every run is clean.

(The sandbox world of `sandboxes.world`, which the demo and the scenarios of the other platforms
use, has no Moneybird world yet: this test sets up the same pieces itself.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet

from connector.app import App
from connector.domain.clock import ManualClock
from connector.http import limiter as http_limiter
from connector.run import RunResult, run_tenant
from sandboxes.kit.server import LoopbackServer
from sandboxes.kit.smtp import SmtpCatcher
from sandboxes.moneybird import (
    MoneybirdState,
    PaymentSimulator,
    demo_tokens,
    make_app,
    seed_demo,
)
from sandboxes.moneybird.generate import DemoInfo

ZONE = ZoneInfo("Europe/Amsterdam")
START = date(2026, 1, 5)
SENDER = "debiteuren@demo.example"


@dataclass
class World:
    clock: ManualClock
    state: MoneybirdState
    info: DemoInfo
    app: App
    smtp: SmtpCatcher

    @property
    def administration(self) -> str:
        return self.info.administrations[0]


def write_config(
    root: Path, url: str, smtp_port: int, administration: str, pause: bool = True
) -> Path:
    config = root / "config"
    (config / "clients").mkdir(parents=True)
    (config / "connector.yaml").write_text(
        f"database_url: {json.dumps('sqlite:///' + str(root / 'dunning.db'))}\n"
        "timezone: Europe/Amsterdam\n"
        'sending_window: "08:00-17:00"\n'
        "full_reconcile_every_hours: 24\n"
    )
    (config / "clients" / "demo.yaml").write_text(
        "display_name: Demo Schilderwerken B.V.\n"
        "platform: moneybird\n"
        "moneybird:\n"
        f"  administration_id: {administration}\n"
        "  client_id: ${MONEYBIRD_CLIENT_ID}\n"
        "  client_secret: ${MONEYBIRD_CLIENT_SECRET}\n"
        f"  api_url: {url}\n"
        f"  accounts_url: {url}\n"
        f"  pause_workflow: {'true' if pause else 'false'}\n"
        "mail:\n"
        "  smtp_host: 127.0.0.1\n"
        f"  smtp_port: {smtp_port}\n"
        f"  from: {SENDER}\n"
        "  starttls: false\n"
        "policy: nl-b2b-standard\n"
        "language: nl\n"
        f"sender: {{name: Demo Schilderwerken B.V., email: {SENDER}, "
        'phone: "+31 20 123 4567", iban: NL91ABNA0417164300, bic: ABNANL2A}\n'
    )
    return config


@pytest.fixture(params=[True], ids=["paused"])
def world(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    http_limiter._local.clear()
    clock = ManualClock(datetime(2026, 1, 5, 7, 0, tzinfo=ZONE))
    state = MoneybirdState(clock.now)
    info = seed_demo(state, seed=7, contacts=20)
    server = LoopbackServer(make_app(state)).start()
    smtp = SmtpCatcher(clock).start()
    env = {
        "MONEYBIRD_CLIENT_ID": info.client_id,
        "MONEYBIRD_CLIENT_SECRET": info.client_secret,
        "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
    }
    config = write_config(tmp_path, server.url, smtp.port, info.administrations[0], request.param)
    app = App.open(config, env)
    token = demo_tokens(state, info)
    app.tokens.put_initial(
        "demo",
        "default",
        "moneybird",
        refresh_token=token.refresh,
        access_token=token.access,
        expires_at=clock.now() + timedelta(days=365),
        now=clock.now(),
    )
    try:
        yield World(clock, state, info, app, smtp)
    finally:
        server.stop()
        smtp.stop()
        app.engine.dispose()
        http_limiter._local.clear()


def days(world: World, count: int) -> tuple[datetime, list[RunResult]]:
    """`count` days: Moneybird's morning (its workflow), the connector's run at 9, payments by
    the customers' habits in the evening. Returns the first run's moment and the results."""
    payer = PaymentSimulator(world.state, world.administration, seed=7)
    tenant = world.app.tenant("demo", world.clock)
    first_run: datetime | None = None
    results: list[RunResult] = []
    for n in range(count):
        day = START + timedelta(days=n)
        world.clock.set(datetime.combine(day, datetime.min.time(), ZONE).replace(hour=7))
        world.state.daily_pass(world.administration)  # Moneybird's morning, before ours
        world.clock.set(datetime.combine(day, datetime.min.time(), ZONE).replace(hour=9))
        first_run = first_run or world.clock.now()
        results.append(run_tenant(tenant, world.clock))
        world.clock.set(datetime.combine(day, datetime.min.time(), ZONE).replace(hour=18))
        payer.simulate_day(day)
    assert first_run is not None
    return first_run, results


def test_six_weeks_no_reminder_after_payment_and_moneybird_never_reminds_a_managed_invoice(
    world: World,
) -> None:
    first_run, results = days(world, 42)

    assert all(r.ok for r in results), [r.summary() for r in results if not r.ok]
    reminders = world.state.reminders(world.administration)
    by_api = [r for r in reminders if r.by == "api"]
    by_workflow_later = [r for r in reminders if r.by == "workflow" and r.at > first_run]
    assert by_api, "the connector reminded nobody in six weeks"
    assert by_workflow_later == [], "Moneybird's own workflow reminded a managed invoice"

    invoices = world.state.ledger(world.administration).invoices

    def paid_before(ref: str, moment: datetime) -> bool:
        paid_at = invoices[ref].paid_at
        return paid_at is not None and paid_at < moment.astimezone(ZONE).date()

    after_payment = [
        f"{r.at:%Y-%m-%d} reminder for {invoices[ref].invoice_id}"
        for r in by_api
        for ref in r.sales_invoice_ids
        if paid_before(ref, r.at)
    ]
    assert after_payment == []
    # one reminder per customer and day, carrying all its invoices, with our text
    per_day = [(r.contact_id, r.at.astimezone(ZONE).date()) for r in by_api]
    assert len(per_day) == len(set(per_day))
    assert all(r.reminder_text.strip() for r in by_api)
    # the steps Moneybird cannot send went by SMTP and are recorded in Moneybird as notes
    assert world.smtp.mails and world.state.ledger(world.administration).notes
    assert "paused for every late invoice" in world.app.tenant("demo", world.clock).ledger.check()


@pytest.mark.parametrize("world", [False], ids=["not paused"], indirect=True)
def test_without_pausing_moneybirds_own_workflow_reminds_too_and_doctor_says_so(
    world: World,
) -> None:
    first_run, results = days(world, 21)

    assert all(r.ok for r in results)
    by_workflow = [r for r in world.state.reminders(world.administration) if r.by == "workflow"]
    assert [r for r in by_workflow if r.at > first_run], "the control shows nothing"
    line = world.app.tenant("demo", world.clock).ledger.check()
    assert "WARNING: Moneybird's own workflow is reminding" in line
    assert "set pause_workflow: true" in line
