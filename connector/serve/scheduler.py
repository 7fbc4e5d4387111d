"""The `dunning serve` service: one APScheduler job per client, in one process.

Scheduling rules, and why:
* Every enabled client (and every broken client file, so it is reported) gets an interval job
  (`schedule.every_minutes`). Its phase is spread by a stable per-client offset within
  `schedule.jitter_seconds`, so a hundred clients do not all call their platforms at :00.
* After downtime a client whose last run is older than the interval runs once, soon after the
  start: missed runs are coalesced into one (`coalesce=True` for the same reason while running).
* One run of a client at a time: `max_instances=1` in this process, and the per-client lease in
  the database (`connector.run`) across processes, so `dunning run` from cron beside `serve`
  skips with a clear message instead of running the client twice.
* At most `schedule.max_concurrent_clients` runs at once (the executor's worker threads).
* SIGHUP (or `--watch`) reloads the configuration: new clients are scheduled, removed or
  disabled ones dropped, a changed interval applied.
* SIGTERM stops the scheduler from starting runs; a run in flight stops between actions: the
  action in flight finishes and is recorded `sent`/`failed`/`cancelled`/`review`, no further one
  starts (the next run plans them again), within `grace` seconds; past that the process exits
  and the lease and any row left `sending` are settled by the next run's reconciliation, as
  after a crash.

Time: the connector's clock (`--now` makes it a shifted clock) decides what is due; APScheduler
runs on the wall clock, which only paces the runs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text

from connector import alerts, approval
from connector.app import App, ClientUnavailable
from connector.auth.tokens import wait_for_refreshes
from connector.auth.upkeep import token_upkeep
from connector.config import load_config
from connector.config.environment import process_env
from connector.config.models import WebhookListenerSettings
from connector.domain.clock import Clock, SystemClock
from connector.http import HttpMetrics
from connector.platforms import WebhookReceiver, platforms
from connector.run import default_owner, run_tenant
from connector.serve.health import HealthServer
from connector.serve.metrics import ServeMetrics
from connector.serve.payments import PATH_HINT, MollieWebhook
from connector.serve.signals import ServeSignals
from connector.serve.webhook import WebhookServer
from connector.store import leases, usage
from connector.store.db import session_scope

if TYPE_CHECKING:
    from connector.console.server import ConsoleServer

log = logging.getLogger("connector.serve")

#: seconds between two webhook-triggered early runs of one client
EARLY_RUN_GAP = 300.0
#: the webhook listener's bound on a request body when no platform names its own
DEFAULT_MAX_BODY = 64 * 1024


@dataclass(frozen=True)
class ServeOptions:
    """Command-line overrides of connector.yaml's `schedule:` and `http:` (tests compress time)."""

    every_seconds: float | None = None
    jitter_seconds: float | None = None
    max_concurrent: int | None = None
    listen: str | None = None
    webhook_listen: str | None = None
    grace_seconds: float = 60.0
    alert_check_seconds: float = 60.0
    watch: bool = False
    watch_seconds: float = 2.0
    #: seconds between token upkeep rounds (kept answers, daily keep-alive refresh)
    upkeep_seconds: float = 900.0


def phase_offset(slug: str, jitter_seconds: float) -> float:
    """A stable offset in [0, jitter) for a client: the same after every restart."""
    if jitter_seconds <= 0:
        return 0.0
    digest = int.from_bytes(hashlib.sha256(slug.encode()).digest()[:8], "big")
    return (digest % 1_000_000) / 1_000_000 * jitter_seconds


def config_fingerprint(config_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """What `--watch` compares: every YAML file's name, mtime and size."""
    files = [config_dir / "connector.yaml", *sorted((config_dir / "clients").glob("*.yaml"))]
    out = []
    for path in files:
        try:
            st = path.stat()
        except OSError:
            continue
        out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


class Service:
    def __init__(
        self,
        app: App,
        clock: Clock,
        options: ServeOptions | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.clock = clock
        self.options = options or ServeOptions()
        self.env = process_env() if env is None else env
        self.wall = SystemClock()  # APScheduler's frame; only paces the runs
        self.signals = ServeSignals()
        self.metrics = ServeMetrics(lambda: self.app, self.clock.now)
        self._lock = threading.Lock()
        self._alert_lock = threading.Lock()
        self._running: dict[str, datetime] = {}
        self._every: float = self._schedule()[0]
        self._heartbeat = time.monotonic()
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self._schedule()[2])},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        listen = self.options.listen or app.config.connector.http.listen
        host, _, port = listen.rpartition(":")
        self.health = HealthServer(
            host.strip("[]"),
            int(port),
            live=self._live,
            ready=self._ready,
            metrics=self.metrics.render,
        )
        self._early: dict[str, float] = {}
        self._upkeep_lock = threading.Lock()
        #: each platform's webhook receiver (its replay memory lives as long as the service)
        self.receivers: dict[str, WebhookReceiver] = {
            name: p.webhooks.receiver(self.clock.now)
            for name, p in platforms().items()
            if p.webhooks is not None
        }
        #: Mollie's paid notifications for clients with `payments: {provider: mollie}`
        self.mollie = MollieWebhook(lambda: self.app, self.clock)
        self.webhooks: WebhookServer | None = None
        hooks = self._listener_settings()
        hook_listen = self.options.webhook_listen or hooks.webhook_listen
        if hook_listen:
            hook_host, _, hook_port = hook_listen.rpartition(":")
            self.webhooks = WebhookServer(
                hook_host.strip("[]"),
                int(hook_port),
                self.receive,
                max_connections=hooks.webhook_max_connections,
                timeout=hooks.webhook_timeout_seconds,
                deadline=3 * hooks.webhook_timeout_seconds,
                max_body=max(
                    (p.webhooks.max_body for p in platforms().values() if p.webhooks),
                    default=DEFAULT_MAX_BODY,
                ),
            )

        #: the web console (issue #13), when connector.yaml has a `console:` section
        self.console: ConsoleServer | None = None
        settings = app.config.connector.console
        if settings is not None:
            from connector.console.deps import ConsoleContext
            from connector.console.server import ConsoleServer

            try:
                self.console = ConsoleServer(ConsoleContext(app, clock, settings))
            except OSError as exc:
                raise OSError(
                    exc.errno, f"{exc.strerror} (console.listen {settings.listen})"
                ) from exc

    def _listener_settings(self) -> WebhookListenerSettings:
        """The webhook listener's settings: the section of connector.yaml of the platform with
        webhooks that sets `webhook_listen` (Exact's `exact:`), else the first one's defaults."""
        connector = self.app.config.connector
        sections = [
            section
            for name, p in sorted(platforms().items())
            if p.webhooks is not None
            and isinstance(section := connector.platform_section(name), WebhookListenerSettings)
        ]
        chosen = next((s for s in sections if s.webhook_listen), None)
        return chosen or (sections[0] if sections else WebhookListenerSettings())

    # -- schedule ------------------------------------------------------------------------------
    def _schedule(self) -> tuple[float, float, int]:
        s = self.app.config.connector.schedule
        every = self.options.every_seconds or s.every_minutes * 60.0
        jitter = (
            self.options.jitter_seconds
            if self.options.jitter_seconds is not None
            else float(s.jitter_seconds)
        )
        return every, min(jitter, every), self.options.max_concurrent or s.max_concurrent_clients

    def first_run(self, slug: str) -> datetime:
        """When (wall clock, like the run bookkeeping in `leases`, which is about liveness) the
        client's first run in this process is due: one interval after its last start, or right
        away (plus its phase) if that has passed."""
        every, jitter, _ = self._schedule()
        now = self.wall.now()
        state = leases.get_state(self.app.engine, slug)
        due = now
        if state is not None and state.last_started_at is not None:
            due = max(now, state.last_started_at + timedelta(seconds=every))
        return due + timedelta(seconds=phase_offset(slug, jitter))

    def _from_wall(self, moment: datetime) -> datetime:
        return self.clock.now() + (moment - self.wall.now())

    def sync_jobs(self) -> tuple[list[str], list[str]]:
        """Make the jobs match the configuration; returns (added, removed) client names."""
        every, _, _ = self._schedule()
        wanted = set(self.app.slugs())
        existing = {job.id for job in self.scheduler.get_jobs()}
        if every != self._every:  # a changed interval: reschedule everyone
            for slug in existing:
                self.scheduler.remove_job(slug)
            existing, self._every = set(), every
        removed = sorted(existing - wanted)
        for slug in removed:
            self.scheduler.remove_job(slug)
        added = sorted(wanted - existing)
        for slug in added:
            start = self.first_run(slug)
            self.scheduler.add_job(
                self.run_client,
                IntervalTrigger(seconds=every, start_date=start, timezone=UTC),
                args=[slug],
                id=slug,
                name=f"run {slug}",
                replace_existing=True,
                next_run_time=start,
            )
        self.metrics.clients.set(len(wanted))
        return added, removed

    def next_runs(self) -> dict[str, datetime]:
        """Each scheduled client's next run, on the connector's clock."""
        return {
            job.id: self._from_wall(job.next_run_time)
            for job in self.scheduler.get_jobs()
            if job.next_run_time is not None
        }

    def reload(self) -> None:
        """Re-read the configuration directory; a broken connector.yaml keeps the old one."""
        try:
            loaded = load_config(self.app.config_dir, self.env)
        except Exception as exc:
            log.error("configuration reload failed; keeping the running configuration: %s", exc)
            return
        old_limit = self._schedule()[2]
        self.app.config = loaded
        added, removed = self.sync_jobs()
        if self._schedule()[2] != old_limit:
            log.warning("max_concurrent_clients changed: takes effect after a restart")
        log.info(
            "configuration reloaded: %d clients scheduled; added: %s; removed: %s",
            len(self.scheduler.get_jobs()),
            ", ".join(added) or "none",
            ", ".join(removed) or "none",
        )

    # -- webhooks ------------------------------------------------------------------------------
    def webhook_secrets(self, platform: str) -> dict[str, str]:
        """Client -> webhook secret, for the platform's enabled clients that set one."""
        hooks = platforms()[platform].webhooks
        out = {}
        for slug, client in self.app.config.clients.items():
            if hooks is None or client.platform != platform or not client.enabled:
                continue
            secret = hooks.secret(client.settings)
            if secret is not None:
                out[slug] = secret
        return out

    def receive(self, path: str, body: bytes) -> tuple[int, str]:
        """POST on the webhook listener: ``/<platform>/...`` goes to that platform's receiver
        (Exact's: verified, then an early run); ``/mollie/...`` to Mollie's (the paid link
        fetched from Mollie, its invoices put on hold: `connector.serve.payments`)."""
        if path.startswith("/mollie/"):
            return self.mollie(path, body)
        for name, receiver in self.receivers.items():
            if path.startswith(f"/{name}/"):
                return receiver(path, body, self.webhook_secrets(name), self.run_early)
        return 404, "not found"

    def run_early(self, slug: str, content: Mapping[str, object] | None = None) -> None:
        """Bring the client's next run forward to now (a webhook said something changed).
        Polling stays the source of truth: this only moves the next scheduled run, at most once
        per `EARLY_RUN_GAP` seconds a client so a burst of events cannot spend the API budget;
        the regular interval goes on after it."""
        now = time.monotonic()
        with self._lock:
            if now - self._early.get(slug, -EARLY_RUN_GAP) < EARLY_RUN_GAP:
                return
            self._early[slug] = now
        job = self.scheduler.get_job(slug)
        if job is None:
            return
        topic = (content or {}).get("Topic", "?")
        log.info("%s: webhook (%s): next run brought forward to now", slug, topic)
        job.modify(next_run_time=self.wall.now())

    # -- one run -------------------------------------------------------------------------------
    def run_client(self, slug: str) -> None:
        if self.signals.stop.is_set():
            log.info("%s: not started: the service is stopping", slug)
            return
        with self._lock:
            self._running[slug] = self.clock.now()
        self.metrics.running.inc()
        started = time.monotonic()
        http = HttpMetrics()
        client = self.app.config.clients.get(slug)
        platform = client.platform if client is not None else "unknown"
        result = "failed"
        try:
            try:
                tenant = self.app.tenant(slug, self.clock, metrics=http)
            except ClientUnavailable as exc:
                log.error("%s: FAILED: %s", slug, exc.reason)
            else:
                outcome = run_tenant(
                    tenant, self.clock, owner=default_owner(), stop=self.signals.stop
                )
                result = "skipped" if outcome.skipped else "ok" if outcome.ok else "failed"
                d = outcome.dispatch
                for name in ("sent", "cancelled", "failed", "review", "awaiting_approval"):
                    self.metrics.actions.labels(slug, name).inc(getattr(d, name))
        except Exception:
            log.exception("%s: run crashed", slug)
        finally:
            self.metrics.runs.labels(slug, result).inc()
            if result == "failed":
                self.metrics.failures.labels(slug).inc()
            self.metrics.duration.labels(slug).observe(time.monotonic() - started)
            self.metrics.last_run.labels(slug).set(self.clock.now().timestamp())
            calls, throttled = self.metrics.count_http(slug, platform, http)
            try:
                usage.record_api_usage(
                    self.app.engine,
                    slug,
                    platform,
                    self.clock.now().astimezone(UTC).date(),
                    calls,
                    throttled,
                )
            except Exception:
                log.exception("%s: recording API usage failed", slug)
            with self._lock:
                self._running.pop(slug, None)
            self.metrics.running.dec()
        self.check_alerts()

    def check_alerts(self) -> None:
        if not self._alert_lock.acquire(blocking=False):
            return  # another thread is checking right now
        try:
            alerts.evaluate(self.app, self.clock.now())
            approval.send_digests(self.app, self.clock)  # the approvers' daily digest
        except Exception:
            log.exception("alert check failed")
        finally:
            self._alert_lock.release()

    def token_upkeep(self) -> None:
        """Kept token answers first, then the daily keep-alive refresh of each Exact connection
        (connector.auth.upkeep), on the connector's clock; one round at a time."""
        if not self._upkeep_lock.acquire(blocking=False):
            return
        try:
            if not self.signals.stop.is_set():
                token_upkeep(self.app, self.clock)
        except Exception:
            log.exception("token upkeep failed")
        finally:
            self._upkeep_lock.release()

    def running(self) -> dict[str, datetime]:
        with self._lock:
            return dict(self._running)

    # -- probes --------------------------------------------------------------------------------
    def _live(self) -> tuple[bool, str]:
        age = time.monotonic() - self._heartbeat
        return age < 30, f"main loop alive ({age:.0f}s since last beat)"

    def _ready(self) -> tuple[bool, str]:
        if self.signals.stop.is_set():
            return False, "stopping"
        if not self.scheduler.running:
            return False, "scheduler not running"
        try:
            with session_scope(self.app.engine) as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:
            return False, f"database unreachable: {type(exc).__name__}"
        return True, f"{len(self.scheduler.get_jobs())} clients scheduled"

    # -- life cycle ----------------------------------------------------------------------------
    def serve(self, *, install_signals: bool = True) -> int:
        """Run until SIGTERM/SIGINT; returns the exit code."""
        if install_signals:
            self.signals.install()
        if not log.isEnabledFor(logging.DEBUG):  # two lines per job otherwise; ours say it all
            logging.getLogger("apscheduler").setLevel(logging.WARNING)
        self.health.start()
        if self.webhooks is not None:
            self.webhooks.start()
            for p in platforms().values():
                if p.webhooks is not None:
                    log.info(
                        "%s webhooks on http://%s%s",
                        p.title,
                        self.webhooks.address,
                        p.webhooks.path_hint,
                    )
            if any(c.payments is not None for c in self.app.config.clients.values()):
                log.info("Mollie webhooks on http://%s%s", self.webhooks.address, PATH_HINT)
        else:
            waiting = sorted(
                slug
                for slug, c in self.app.config.clients.items()
                if c.payments is not None and c.payments.webhook_url
            )
            if waiting:  # their paid links would go unheard until the ledger books them
                log.warning(
                    "no webhook listener (webhook_listen): Mollie cannot tell %s about paid "
                    "links; the ledger's bookings are the only news of those payments",
                    ", ".join(waiting),
                )
        if self.console is not None:
            self.console.start()
            log.info("web console on http://%s", self.console.address)
        self.scheduler.start()
        self.sync_jobs()
        every, jitter, limit = self._schedule()
        log.info(
            "serving %d clients every %ss (phase spread %ss, at most %d at once); health and "
            "metrics on http://%s",
            len(self.scheduler.get_jobs()),
            f"{every:g}",
            f"{jitter:g}",
            limit,
            self.health.address,
        )
        for slug, at in sorted(self.next_runs().items()):
            log.info("%s: next run %s", slug, at.isoformat(timespec="seconds"))
        fingerprint = config_fingerprint(self.app.config_dir)
        last_watch = last_alerts = time.monotonic()
        last_upkeep = -float("inf")  # a round right away: kept answers before any run refreshes
        while not self.signals.stop.wait(0.2):
            self._heartbeat = time.monotonic()
            if self._heartbeat - last_upkeep >= self.options.upkeep_seconds:
                last_upkeep = self._heartbeat
                threading.Thread(target=self.token_upkeep, name="token-upkeep", daemon=True).start()
            if self.options.watch and self._heartbeat - last_watch >= self.options.watch_seconds:
                last_watch = self._heartbeat
                current = config_fingerprint(self.app.config_dir)
                if current != fingerprint:
                    fingerprint = current
                    log.info("configuration files changed; reloading")
                    self.signals.reload.set()
            if self.signals.reload.is_set():
                self.signals.reload.clear()
                log.info("reloading the configuration")
                self.reload()
                fingerprint = config_fingerprint(self.app.config_dir)
            if self._heartbeat - last_alerts >= self.options.alert_check_seconds:
                last_alerts = self._heartbeat
                threading.Thread(target=self.check_alerts, daemon=True).start()
        return self.shutdown()

    def shutdown(self) -> int:
        in_flight = self.running()
        log.info(
            "stopping (%s): no new runs; %s",
            self.signals.stop_reason or "asked",
            f"finishing the run in flight of {', '.join(sorted(in_flight))}"
            if in_flight
            else "no run in flight",
        )
        self.scheduler.pause()
        done = threading.Event()

        def _wait() -> None:
            self.scheduler.shutdown(wait=True)
            done.set()

        threading.Thread(target=_wait, name="serve-shutdown", daemon=True).start()
        finished = done.wait(self.options.grace_seconds)
        # never exit between a token answer and its commit (a run past its grace, or upkeep)
        wait_for_refreshes()
        self.health.stop()
        if self.webhooks is not None:
            self.webhooks.stop()
        if self.console is not None:
            self.console.stop()
        if not finished:
            left = ", ".join(sorted(self.running()))
            log.error(
                "the run of %s did not finish within %gs; leaving it: the next run reconciles "
                "anything left in 'sending' and takes over the lease when it expires",
                left,
                self.options.grace_seconds,
            )
            logging.shutdown()
            os._exit(1)
        log.info("stopped cleanly")
        return 0
