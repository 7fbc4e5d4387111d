"""The review queue (`approval: required`) and operator alerts, against the sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from connector import alerts, approval
from connector.config import load_config
from connector.dispatch import APPROVAL_TTL
from connector.status import status_lines
from connector.store import leases, usage
from sandboxes.world import local_moment
from sandboxes.zoho.generate import DemoInfo, seed_demo
from sandboxes.zoho.state import ZohoState
from sandboxes.zoho.world import ZohoWorld

MONDAY = date(2026, 3, 2)


def small(state: ZohoState, org: str, seed: int) -> DemoInfo:
    return seed_demo(state, seed=seed, customers=6, invoices=24, organization_id=org)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ZohoWorld]:
    w = ZohoWorld.open(
        tmp_path,
        start=local_moment(MONDAY, 9),
        seed=11,
        slugs=("careful", "plain"),
        populate=small,
        client_overrides={"careful": "approval: required\n"},
    )
    yield w
    w.close()


def test_actions_wait_for_approval_and_only_approved_ones_are_sent(world: ZohoWorld) -> None:
    first = world.run("careful")
    assert first.ok, first.error
    waiting = approval.waiting(world.app, "careful")
    assert waiting, "the run planned nothing to approve (scenario has overdue invoices)"
    assert first.dispatch.awaiting_approval == len(waiting)
    assert world.state.sent_mails == [], "an action went out without approval"

    again = world.run("careful", at=world.clock.now() + timedelta(hours=1))
    assert again.ok and again.dispatch.enqueued == 0, "waiting steps were planned again"
    assert len(approval.waiting(world.app, "careful")) == len(waiting)

    chosen = waiting[0]
    stats = approval.approve(world.app, "careful", world.clock, [chosen.id])
    assert stats.sent == 1, stats.lines
    assert len(world.state.sent_mails) == 1
    assert {w.id for w in approval.waiting(world.app, "careful")} == {w.id for w in waiting[1:]}
    repeat = approval.approve(world.app, "careful", world.clock, [w.id for w in waiting[1:]])
    assert repeat.sent + repeat.cancelled == len(waiting) - 1
    with pytest.raises(ValueError, match="not awaiting approval"):
        approval.approve(world.app, "careful", world.clock, [chosen.id])
    assert len(world.state.sent_mails) == 1 + repeat.sent, "an approval sent twice"


def test_an_action_of_another_client_cannot_be_approved(world: ZohoWorld) -> None:
    world.run("careful")
    other = approval.waiting(world.app, "careful")[0].id
    with pytest.raises(ValueError, match="not awaiting approval"):
        approval.approve(world.app, "plain", world.clock, [other])


def test_stale_approvals_expire_and_are_planned_afresh(world: ZohoWorld) -> None:
    world.run("careful")
    old = {w.id for w in approval.waiting(world.app, "careful")}
    later = world.clock.now() + APPROVAL_TTL + timedelta(days=1)
    while later.weekday() >= 5:
        later += timedelta(days=1)
    result = world.run("careful", at=later)
    assert result.ok, result.error
    fresh = {w.id for w in approval.waiting(world.app, "careful")}
    assert fresh and not (fresh & old), "stale approvals were kept instead of expired"
    statuses = {a["id"]: a["status"] for a in world.actions("careful")}
    assert all(statuses[i] == "expired" for i in old)
    assert world.state.sent_mails == []
    lines = "\n".join(status_lines(world.app, world.clock.now()))
    assert f"awaiting approval: {len(fresh)}" in lines, lines


def _with_alert_mail(world: ZohoWorld) -> None:
    path = world.app.config_dir / "connector.yaml"
    path.write_text(
        path.read_text()
        + (
            "alerts: {email: ops@example.nl, after_failures: 2}\n"
            "mail: {smtp_host: 127.0.0.1, smtp_port: 2525, from: dunning@example.nl, "
            "starttls: false}\n"
        )
    )
    plain = world.app.config_dir / "clients" / "plain.yaml"
    plain.write_text(plain.read_text().replace("  api_url:", "  plan: standard\n  api_url:"))
    world.app.config = load_config(world.app.config_dir, world.env)


def _fail_run(world: ZohoWorld, slug: str) -> None:
    """Record a failed run as `run_tenant` does when a client's run fails."""
    now = world.clock.now()
    assert leases.try_acquire(world.app.engine, slug, "test", now, timedelta(minutes=5))
    leases.release(world.app.engine, slug, "test", "failed", "server_error: 500", now)


def test_alerts_are_mailed_once_per_problem_and_shown_in_status(world: ZohoWorld) -> None:
    _with_alert_mail(world)
    mails: list[EmailMessage] = []
    now = world.clock.now

    assert alerts.evaluate(world.app, now(), mails.append) == []
    _fail_run(world, "careful")
    assert alerts.evaluate(world.app, now(), mails.append) == [], "alerted after one failure"
    _fail_run(world, "careful")
    world.app.tokens.mark_consent_needed("plain", "default", "refresh token revoked", now())
    usage.record_api_usage(world.app.engine, "plain", "zoho", now().date(), 1700, 3)
    raised = alerts.evaluate(world.app, now(), mails.append)
    assert {(a.tenant, a.kind) for a in raised} == {
        ("careful", "failing"),
        ("plain", "consent"),
        ("plain", "api_budget"),
    }
    assert len(mails) == 1, "one digest mail, not one per alert"
    assert mails[0]["To"] == "ops@example.nl"
    body = mails[0].get_body(("plain",))
    assert body is not None and "consent needed" in body.get_content()

    for _ in range(5):  # serve re-checks every minute: no storm
        assert alerts.evaluate(world.app, now(), mails.append) == []
    assert len(mails) == 1

    lines = "\n".join(status_lines(world.app, now()))
    assert "ALERT careful: the last 2 runs failed" in lines, lines
    assert "ALERT plain: consent needed again" in lines, lines

    world.run("careful")  # a good run clears the failure alert ...
    assert alerts.evaluate(world.app, now(), mails.append) == []
    assert ("careful", "failing") not in {
        (a.tenant, a.kind) for a in alerts.active_alerts(world.app.engine)
    }
    _fail_run(world, "careful")
    _fail_run(world, "careful")  # ... and a new episode is mailed again, once
    again = alerts.evaluate(world.app, now(), mails.append)
    assert [(a.tenant, a.kind) for a in again] == [("careful", "failing")]
    assert len(mails) == 2


def test_an_undeliverable_alert_is_retried_at_the_next_check(world: ZohoWorld) -> None:
    from connector.mail import MailError

    _with_alert_mail(world)
    _fail_run(world, "careful")
    _fail_run(world, "careful")

    def down(msg: EmailMessage) -> None:
        raise MailError("relay down", definite=True)

    assert alerts.evaluate(world.app, world.clock.now(), down) == []
    mails: list[EmailMessage] = []
    assert len(alerts.evaluate(world.app, world.clock.now(), mails.append)) == 1
    assert len(mails) == 1


def test_cli_lists_and_approves_the_queue_and_writes_reports(
    world: ZohoWorld, tmp_path: Path
) -> None:
    import json
    import os
    import subprocess
    import sys

    def dunning(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
        env.update(world.env)
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "connector.cli",
                "--config",
                str(world.app.config_dir),
                *args,
                "--now",
                world.clock.now().isoformat(),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )

    run = dunning("run", "careful", "--simulate")
    assert run.returncode == 0 and "awaiting approval" in run.stderr, run.stdout + run.stderr
    listed = dunning("approve", "careful", "--list")
    assert listed.returncode == 0, listed.stderr
    waiting = approval.waiting(world.app, "careful")
    assert f"{len(waiting)} action(s) awaiting approval" in listed.stdout
    assert f"#{waiting[0].id} " in listed.stdout
    done = dunning("approve", "careful", str(waiting[0].id), "--simulate")
    assert done.returncode == 0 and "approved: 1 done" in done.stdout, done.stdout + done.stderr
    assert len(world.state.sent_mails) == 1

    out = tmp_path / "careful.json"
    report = dunning("report", "careful", "--format", "json", "--out", str(out))
    assert report.returncode == 0, report.stderr
    assert json.loads(out.read_text())["actions_in_period"] == {waiting[0].kind: 1}
    csv_out = dunning("report", "careful", "--format", "csv")
    assert csv_out.stdout.startswith("section,key,value"), csv_out.stderr
    bad = dunning("report", "careful", "--format", "pdf")
    assert bad.returncode == 2 and "html, csv or json" in bad.stderr
