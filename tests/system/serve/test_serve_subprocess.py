"""`dunning serve` as an operator runs it: a real subprocess against the Zoho sandbox on loopback,
on a compressed schedule (`--every`), reloaded with SIGHUP, stopped with SIGTERM mid-run and
started again; a `dunning run` from "cron" beside it; /metrics parsed as Prometheus text.

Time: the sandbox runs in this process on a clock that starts at the same `--now` as the
subprocess and then moves in real time, so tokens, quotas and due dates agree on both sides.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from waiting import wait_until

from connector.domain import ActionKind
from connector.domain.clock import ShiftedClock
from connector.store import leases, outbox
from connector.store.db import session_scope
from sandboxes.kit.router import Request, Response
from sandboxes.world import local_moment
from sandboxes.zoho import Limits
from sandboxes.zoho.generate import DemoInfo, seed_demo
from sandboxes.zoho.state import ZohoState
from sandboxes.zoho.world import ZohoWorld

MONDAY = date(2026, 3, 2)
EVERY = 3  # seconds between runs of a client
DEADLINE = 60.0  # generous bound for anything awaited (never asserted as a duration)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(
    what: str, check: Callable[[], bool], timeout: float = DEADLINE, log: Path | None = None
) -> None:
    def tail() -> str:
        return "\n".join(log.read_text().splitlines()[-40:]) if log is not None else ""

    wait_until(check, what, timeout=timeout, interval=0.1, context=tail)


class Gate:
    """A sandbox hook that holds requests of one organisation while closed, to catch a run in
    the middle: `entered` is set when a held request arrives."""

    def __init__(self, org: str, only: Callable[[Request], bool] = lambda r: True) -> None:
        self.org, self.only = org, only
        self.closed = False
        self.entered = threading.Event()
        self.opened = threading.Event()

    def close(self) -> None:
        self.entered.clear()
        self.opened.clear()
        self.closed = True

    def open(self) -> None:
        self.closed = False
        self.opened.set()

    def __call__(self, request: Request) -> Response | None:
        if self.closed and request.query.get("organization_id") == self.org and self.only(request):
            self.entered.set()
            self.opened.wait(DEADLINE)
        return None


class Serve:
    """One `dunning serve` subprocess; its log goes to a file (read after it ends)."""

    def __init__(self, world: ZohoWorld, log: Path, port: int, now: str) -> None:
        self.world, self.log, self.port = world, log, port
        env = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
        env.update(world.env)
        self._log_file = log.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "connector.cli",
                "--config",
                str(world.app.config_dir),
                "serve",
                "--simulate",
                "--now",
                now,
                "--every",
                str(EVERY),
                "--jitter",
                "1",
                "--listen",
                f"127.0.0.1:{port}",
                "--grace",
                "30",
                "--alert-check",
                "1",
            ],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            env=env,
        )
        wait_for("/healthz to answer", self.healthy, log=log)

    def healthy(self) -> bool:
        assert self.proc.poll() is None, f"serve exited early:\n{self.log.read_text()}"
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).ok
        except requests.ConnectionError:
            return False

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        text = requests.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    def runs(self, client: str, result: str = "ok") -> float:
        key = ("dunning_runs_total", (("client", client), ("result", result)))
        return self.metrics().get(key, 0.0)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(DEADLINE)
        self._log_file.close()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log_file.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ZohoWorld]:
    def small(state: ZohoState, org: str, seed: int) -> DemoInfo:
        return seed_demo(state, seed=seed, customers=6, invoices=24, organization_id=org)

    start = local_moment(MONDAY, 10)
    # runs every few seconds would hit the per-minute quota, which is not under test here
    w = ZohoWorld.open(
        tmp_path,
        start=start,
        seed=11,
        slugs=("alpha", "beta", "gamma"),
        populate=small,
        limits=Limits(per_minute=100_000),
    )
    w.state.now = ShiftedClock(start).now  # the sandbox's time now moves like serve's
    yield w
    w.close()


def outbox_rows(world: ZohoWorld, slug: str) -> list[dict[str, object]]:
    with session_scope(world.app.engine) as session:
        return outbox.actions(session, slug)


def test_serve_runs_on_schedule_reloads_stops_cleanly_and_restarts_without_duplicates(
    world: ZohoWorld, tmp_path: Path
) -> None:
    now = world.clock.now().isoformat()
    clients = world.app.config_dir / "clients"
    gamma_file = clients / "gamma.yaml"
    gamma_yaml = gamma_file.read_text()
    gamma_file.unlink()  # gamma is added while serve runs
    port = free_port()
    serve = Serve(world, tmp_path / "serve-1.log", port, now)
    alpha_gate = Gate(world.organization("alpha"))
    world.router.before.append(alpha_gate)
    gamma_gate = Gate(world.organization("gamma"), only=lambda r: r.method == "POST")
    world.router.before.append(gamma_gate)
    try:
        # -- every client runs on the schedule, repeatedly ---------------------------------
        wait_for(
            "alpha and beta to run twice each",
            lambda: serve.runs("alpha") >= 2 and serve.runs("beta") >= 2,
            log=serve.log,
        )
        assert serve.runs("gamma") == 0, "gamma ran before its client file existed"
        assert requests.get(f"http://127.0.0.1:{port}/readyz", timeout=5).ok

        # -- a `dunning run` from cron while serve runs the same client --------------------
        alpha_gate.close()
        assert alpha_gate.entered.wait(DEADLINE), "serve did not start another run of alpha"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
        env.update(world.env)
        cron = subprocess.run(
            [
                sys.executable,
                "-m",
                "connector.cli",
                "--config",
                str(world.app.config_dir),
                "run",
                "alpha",
                "--simulate",
                "--now",
                world.state.now().isoformat(),
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=DEADLINE,
            check=False,
        )
        alpha_gate.open()
        assert cron.returncode == 0, cron.stdout + cron.stderr
        assert "alpha: skipped: another run of this client is in progress" in cron.stderr, (
            f"the second run did not say it skipped:\n{cron.stdout}{cron.stderr}"
        )

        # -- SIGHUP picks up a new client ---------------------------------------------------
        gamma_gate.close()  # hold gamma's first send, to stop serve in the middle of it
        gamma_file.write_text(gamma_yaml)
        serve.proc.send_signal(signal.SIGHUP)
        assert gamma_gate.entered.wait(DEADLINE), "gamma was not picked up after SIGHUP"

        # -- SIGTERM while gamma's run is sending -------------------------------------------
        serve.proc.send_signal(signal.SIGTERM)
        wait_for(  # the signal has landed while the send is held
            "serve to start stopping",
            lambda: "finishing the run in flight of" in serve.log.read_text(),
            log=serve.log,
        )
        gamma_gate.open()
        code = serve.proc.wait(DEADLINE)
    finally:
        alpha_gate.open()
        gamma_gate.open()
        serve.kill()
    log1 = (tmp_path / "serve-1.log").read_text()
    assert code == 0, f"serve did not stop cleanly (exit {code}):\n{log1}"
    stopping = [line for line in log1.splitlines() if "finishing the run in flight of" in line]
    assert stopping and "gamma" in stopping[0], f"the stop did not wait for gamma's run:\n{log1}"
    assert "configuration reloaded" in log1 and "added: gamma" in log1, log1
    for slug in ("alpha", "beta", "gamma"):
        half = [a for a in outbox_rows(world, slug) if a["status"] in ("pending", "sending")]
        assert not half, f"{slug}: the stop left half-recorded actions: {half}"
        state = leases.get_state(world.app.engine, slug)
        assert state is not None and state.lease_owner is None, f"{slug}: lease still held"
    gamma_sent = [a for a in outbox_rows(world, "gamma") if a["status"] == "sent"]
    assert gamma_sent, "gamma's interrupted run recorded no sent action"

    # -- a restart continues: every client runs again, nothing is sent twice --------------
    mails_before = len(world.state.sent_mails)
    serve2 = Serve(world, tmp_path / "serve-2.log", port, world.state.now().isoformat())
    try:
        wait_for(
            "every client to run after the restart",
            lambda: all(serve2.runs(s) >= 1 for s in ("alpha", "beta", "gamma")),
            log=serve2.log,
        )
        assert serve2.stop() == 0
    finally:
        serve2.kill()
    # the stopped run started no action after gamma's mail in flight (issue #15: SIGTERM stops
    # between actions); the restart sends those, and nothing that went out before
    before = {(m.kind, m.invoice_ids) for m in world.state.sent_mails[:mails_before]}
    again = [
        (m.kind, m.invoice_ids)
        for m in world.state.sent_mails[mails_before:]
        if (m.kind, m.invoice_ids) in before
    ]
    assert not again, f"the restart sent mails again: {again}"
    per_invoice = Counter(
        (m.organization_id, m.kind, i) for m in world.state.sent_mails for i in m.invoice_ids
    )
    twice = [key for key, n in per_invoice.items() if n > 1]
    assert not twice, f"invoices mailed twice with the same kind: {twice}"
    sent_actions = sum(
        1
        for s in ("alpha", "beta", "gamma")
        for a in outbox_rows(world, s)
        if a["status"] == "sent" and ActionKind(str(a["kind"])).is_mail
    )
    assert sent_actions == len(world.state.sent_mails), (
        "outbox 'sent' and the mails the platform sent disagree"
    )


def test_metrics_parse_as_prometheus_text_with_the_promised_series(
    world: ZohoWorld, tmp_path: Path
) -> None:
    port = free_port()
    serve = Serve(world, tmp_path / "serve.log", port, world.clock.now().isoformat())
    try:
        wait_for(
            "every client to run",
            lambda: all(serve.runs(s) >= 1 for s in ("alpha", "beta", "gamma")),
            log=serve.log,
        )
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        families = {f.name: f for f in text_string_to_metric_families(text)}
        assert serve.stop() == 0
    finally:
        serve.kill()
    for name in (
        "dunning_runs",
        "dunning_run_failures",
        "dunning_actions_sent",
        "dunning_api_calls",
        "dunning_api_throttled",
        "dunning_sync_lag_seconds",
        "dunning_token_expiry_seconds",
        "dunning_outbox_actions",
    ):
        assert name in families, f"/metrics lacks {name}: {sorted(families)}"
    calls = {
        s.labels["client"]: s.value
        for s in families["dunning_api_calls"].samples
        if s.name == "dunning_api_calls_total"
    }
    assert all(calls.get(s, 0) > 0 for s in ("alpha", "beta", "gamma")), calls
    assert {s.labels["platform"] for s in families["dunning_api_calls"].samples} == {"zoho"}
    lag = {s.labels["client"] for s in families["dunning_sync_lag_seconds"].samples}
    assert lag == {"alpha", "beta", "gamma"}, f"sync lag not reported for every client: {lag}"
    assert families["dunning_runs"].type == "counter"
    kinds = {s.labels["kind"] for s in families["dunning_actions_sent"].samples}
    assert "reminder" in kinds, f"no reminders counted by kind: {kinds}"
