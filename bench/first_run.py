"""The first run of one client with a large ledger, day after day, against the sandboxes.

A client connects a ledger with tens of thousands of invoices: the first run syncs everything
and finds a large backlog of overdue invoices. This benchmark runs the connector once per
business day (09:00 UTC) until the backlog found on the first day is worked off, against the
Zoho sandbox (100 calls a minute, 10,000 a day: the Premium plan) and the Exact sandbox (60 a
minute, 5,000 a day; with an SMTP server on loopback catching the mails).

The sandbox runs in a child process with its own clock; the connector's clock (a `ManualClock`
whose sleeps also move the sandbox's clock) runs in another child, so rate-limit waits take
simulated time on both sides and the peak RSS is the connector's alone. Figures per size:

* API calls (without token requests) and token requests, per day and in all;
* calls per action per step kind, against the documented minimum for that kind (Zoho: the
  re-check, the send call, one comment; Exact: the re-check, one note or task, two calls per
  attached PDF), and the other calls of the dispatch (batched re-checks, reconciliation);
* days of API budget the backlog took, and the most calls spent on one day against the quota;
* SQL statements, wall time, peak RSS of the connector's process; failures (a run that failed,
  or actions marked failed or for review).

Then the next business day's run, in a fresh process on the same store: its peak RSS is the
hourly re-run's memory, which should stay flat from 10,000 to 100,000 invoices.

The days end once the first day's backlog is worked off (each of its actions done, or no longer
planned because it was paid or its customer moved on to the next step); with
``BENCH_FIRST_RUN_UNTIL=drained`` they go on until a day carries nothing over (on a ledger whose
backlog takes longer than a week, the ladder's next steps keep coming).

Sizes: ``BENCH_FIRST_RUN_SIZES`` (default ``10000,50000,100000``); platforms:
``BENCH_FIRST_RUN_PLATFORMS`` (default ``zoho,exact``).
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import requests
from cryptography.fernet import Fernet

from bench.sync_report import free_port

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Amsterdam
SLUG = "bench"
DIVISION = 7777777
MAX_DAYS = int(os.environ.get("BENCH_FIRST_RUN_MAX_DAYS", "12"))
ZOHO_DAILY = 10_000
EXACT_DAILY = 5_000
TOKEN_PATHS = ("/oauth/v2/token", "/api/oauth2/token")


# -- the sandbox child ----------------------------------------------------------------------------
def _serve(platform: str, port: int, n: int, conn: Any) -> None:  # runs in the child process
    import socket

    from sandboxes.kit import server as server_mod
    from sandboxes.kit.router import Router
    from sandboxes.kit.server import LoopbackServer

    # wsgiref writes a response's head and body separately: without TCP_NODELAY each POST
    # answer waits ~40 ms for the client's delayed ACK (a loopback artefact, not the API's)
    accept = server_mod._ThreadingWSGIServer.get_request

    def get_request(self: Any) -> Any:
        sock, address = accept(self)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, address

    server_mod._ThreadingWSGIServer.get_request = get_request  # type: ignore[method-assign]

    info: dict[str, Any] = {}
    app: Router
    if platform == "zoho":
        from sandboxes.zoho import Limits, SandboxClock, ZohoState, make_app
        from sandboxes.zoho.generate import BULK_ORG, bulk_ledger

        clock = SandboxClock(START)
        zstate = ZohoState(clock.now, Limits(per_minute=100, daily=ZOHO_DAILY))
        bulk_ledger(zstate, n_invoices=n, n_customers=max(50, n // 20))
        app = make_app(zstate)
        info["org"] = BULK_ORG
    else:
        from sandboxes.exact import ExactState
        from sandboxes.exact import Limits as ExactLimits
        from sandboxes.exact import SandboxClock as ExactClock
        from sandboxes.exact import make_app as make_exact_app
        from sandboxes.exact.generate import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
        from sandboxes.exact.generate import bulk_ledger as exact_bulk
        from sandboxes.kit.smtp import SmtpCatcher

        clock = ExactClock(START)
        estate = ExactState(clock.now, ExactLimits(minutely=60, daily=EXACT_DAILY))
        estate.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [])
        user = estate.add_user_with_divisions("bench", [(DIVISION, "Bulk B.V.")])
        exact_bulk(estate, DIVISION, receivables=n, accounts=max(50, n // 20))
        tokens = estate.issue_tokens_for_tests(DEMO_CLIENT_ID, user.id)
        info["tokens"] = {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
        }
        smtp = SmtpCatcher(clock).start()
        info["smtp_port"] = smtp.port
        app = make_exact_app(estate)
    server = LoopbackServer(app, port=port).start()
    conn.send(info)
    while True:
        command, arg = conn.recv()
        if command == "clock":
            clock.set(datetime.fromisoformat(arg))
            conn.send(None)
        elif command == "stop":
            break
    server.stop()


# -- the connector child --------------------------------------------------------------------------
@dataclass
class Meter:
    api: int = 0
    tokens: int = 0
    sql: int = 0
    token_times: list[float] = field(default_factory=list)


@dataclass
class DayFigures:
    day: int
    calls: int
    tokens: int
    planned: int
    sent: int
    deferred: int
    failed: int
    review: int
    error: str | None


def _minimum(platform: str, kind: Any, attachments: int) -> int:
    from connector.domain import ActionKind

    if platform == "zoho":
        send = 0 if kind is ActionKind.CALL_TASK else 1
        return 1 + send + 1  # re-check, the send call, one comment listing the invoices
    return 1 + 1 + 2 * attachments  # re-check, one note or task, document + file per PDF


def _shared_clock(conn: Any, start: datetime) -> Any:
    """The connector's clock (a `ManualClock`); every move is passed on to the sandbox's clock,
    so rate-limit waits take simulated time on both sides."""
    from connector.domain.clock import ManualClock

    class SharedClock(ManualClock):
        def advance(self, delta: timedelta) -> None:
            super().advance(delta)
            conn.send(("clock", self.now().isoformat()))
            conn.recv()

        def set(self, when: datetime) -> None:
            super().set(when)
            conn.send(("clock", self.now().isoformat()))
            conn.recv()

    return SharedClock(start)


def _count_calls(meter: Meter, clock: Any) -> None:
    """Count every HTTP request of this process: token requests (with their time) apart from
    API calls; the sandboxes' own control routes are not calls."""
    original_send = requests.Session.send

    def counting_send(self: requests.Session, request: Any, **kwargs: Any) -> Any:
        path = urlparse(request.url).path
        if any(path.endswith(t) for t in TOKEN_PATHS):
            meter.tokens += 1
            meter.token_times.append(clock.now().timestamp())
        elif "/_sandbox/" not in path:
            meter.api += 1
        return original_send(self, request, **kwargs)

    requests.Session.send = counting_send  # type: ignore[method-assign]


def _connector(
    platform: str, port: int, info: dict[str, Any], conn: Any, out: Any, root: Path, key: str
) -> None:
    """Runs in its own child process: the connector, day after day. Sends the figures."""
    from sqlalchemy import event

    from connector import dispatch as dispatch_mod
    from connector import run as run_mod
    from connector.app import App

    meter = Meter()
    clock = _shared_clock(conn, START)
    _count_calls(meter, clock)
    per_kind: dict[str, list[int]] = defaultdict(list)
    minimum: dict[str, list[int]] = defaultdict(list)
    attachments: dict[str, int] = {}
    perform_calls = 0
    done_keys: set[str] = set()
    original_perform = dispatch_mod.Dispatcher._perform

    def measured_perform(self: Any, action_id: int, action: Any, stats: Any) -> str:
        nonlocal perform_calls
        before, links_before = meter.api, link_calls
        status = str(original_perform(self, action_id, action, stats))
        used = meter.api - before
        perform_calls += used
        used -= link_calls - links_before  # pay-link reads are shown on their own
        if status == "sent":
            done_keys.add(action.idempotency_key)
            kind = str(action.kind.value)
            per_kind[kind].append(used)
            count = attachments.get(action.idempotency_key, 0)
            minimum[kind].append(_minimum(platform, action.kind, count))
        return status

    dispatch_mod.Dispatcher._perform = measured_perform  # type: ignore[method-assign]
    ahead_calls = 0
    original_ahead = dispatch_mod.Dispatcher._read_ahead

    def measured_ahead(self: Any, actions: list[Any], index: int) -> None:
        nonlocal ahead_calls
        before = meter.api
        original_ahead(self, actions, index)
        ahead_calls += meter.api - before

    dispatch_mod.Dispatcher._read_ahead = measured_ahead  # type: ignore[method-assign]
    link_calls = 0
    original_links = dispatch_mod.Dispatcher._with_pay_links

    def measured_links(self: Any, action: Any, fresh: Any) -> Any:
        nonlocal link_calls
        before = meter.api
        out = original_links(self, action, fresh)
        link_calls += meter.api - before
        return out

    dispatch_mod.Dispatcher._with_pay_links = measured_links  # type: ignore[method-assign]

    db = f"sqlite:///{root / 'bench.db'}"
    env = _env(platform, key)
    if platform == "zoho":
        from sandboxes.zoho.world import WorldClient, write_config

        url = f"http://127.0.0.1:{port}"
        write_config(root / "config", url, [WorldClient(SLUG, info["org"])], db, {SLUG: ""})
        text = (root / "config" / "clients" / f"{SLUG}.yaml").read_text()
        text = text.replace("  data_center: eu\n", "  data_center: eu\n  plan: premium\n")
        (root / "config" / "clients" / f"{SLUG}.yaml").write_text(text)
        tokens = requests.post(url + "/_sandbox/tokens", json={}, timeout=60).json()
    else:
        from sandboxes.exact.world import write_config as exact_config

        exact_config(
            root / "config",
            f"http://127.0.0.1:{port}",
            info["smtp_port"],
            {SLUG: DIVISION},
            db,
            {},
        )
        tokens = info["tokens"]
    app = App.open(root / "config", env)

    def count_sql(*_args: Any) -> None:
        meter.sql += 1

    event.listen(app.engine, "before_cursor_execute", count_sql)
    app.tokens.put_initial(
        SLUG,
        "default",
        platform,
        refresh_token=tokens["refresh_token"],
        access_token=tokens["access_token"],
        expires_at=START + timedelta(seconds=3500 if platform == "zoho" else 600),
        now=START,
    )
    tenant = app.tenant(SLUG, clock)
    original_ledger_perform = tenant.ledger.perform

    def ledger_perform(action: Any, rendered: Any) -> Any:
        attachments[action.idempotency_key] = len(rendered.attachments) if rendered else 0
        return original_ledger_perform(action, rendered)

    tenant.ledger.perform = ledger_perform  # type: ignore[method-assign]

    days: list[DayFigures] = []
    t0 = time.perf_counter()
    day = START
    backlog = None
    backlog_keys: set[str] = set()
    worked_off: int | None = None
    for number in range(1, MAX_DAYS + 1):
        while day.weekday() >= 5:
            day += timedelta(days=1)
        clock.set(max(day, clock.now()))
        api0, tok0 = meter.api, meter.tokens
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
            result = profiler.runcall(run_mod.run_tenant, tenant, clock)
            profiler.dump_stats(os.environ["BENCH_PROFILE"])
        else:
            result = run_mod.run_tenant(tenant, clock)
        d = result.dispatch
        deferred = int(getattr(result, "deferred", 0) or 0)
        days.append(
            DayFigures(
                number,
                meter.api - api0,
                meter.tokens - tok0,
                len(result.planned),
                d.sent,
                deferred,
                d.failed,
                d.review,
                result.error,
            )
        )
        _progress(days[-1], meter, time.perf_counter() - t0)
        if backlog is None:
            backlog = len(result.planned)  # the fitted and the deferred actions
            backlog_keys = {a.idempotency_key for a in result.planned}
        # the first day's backlog is worked off when each of its actions is done or no longer
        # planned (paid meanwhile, or superseded by the customer's next step)
        still = {a.idempotency_key for a in result.planned} & backlog_keys
        if worked_off is None and not (still - done_keys):
            worked_off = number
        exhausted = result.error is not None and "budget" in result.error.lower()
        if result.ok and not deferred and not exhausted:
            break
        if worked_off is not None and os.environ.get("BENCH_FIRST_RUN_UNTIL") != "drained":
            break  # later days carry the ladder's next steps, not the first day's backlog
        day += timedelta(days=1)
    seconds = time.perf_counter() - t0
    app.engine.dispose()

    windows = _token_windows(meter.token_times)
    out.put(
        {
            "days": [vars(x) for x in days],
            "backlog": backlog,
            "worked_off": worked_off,
            "per_kind": dict(per_kind),
            "minimum": dict(minimum),
            "perform_calls": perform_calls,
            "ahead_calls": ahead_calls,
            "link_calls": link_calls,
            "api": meter.api,
            "tokens": meter.tokens,
            "token_max_10min": windows[0],
            "token_min_gap": windows[1],
            "sql": meter.sql,
            "seconds": seconds,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "ended": clock.now().isoformat(),
        }
    )


def _progress(d: DayFigures, meter: Meter, seconds: float) -> None:
    """One line per simulated day on standard error, as it ends: a run over many days at
    100,000 invoices takes hours, and its figures so far should not be lost with it."""
    error = f" ({d.error})" if d.error else ""
    print(
        f"[first-run] day {d.day}: {d.calls} calls, {d.tokens} token requests, "
        f"{d.planned} planned, {d.sent} done, {d.deferred} carried over, {d.failed} failed, "
        f"{d.review} review; {meter.api} calls and {meter.tokens} token requests so far, "
        f"wall {seconds:.0f} s{error}",
        file=sys.stderr,
        flush=True,
    )


def _env(platform: str, key: str) -> dict[str, str]:
    if platform == "zoho":
        return {
            "DUNNING_SECRET_KEY": key,
            "ZOHO_CLIENT_ID": "1000.SANDBOXDEMO7Q2K9X4M1Z8W3R5T6Y",
            "ZOHO_CLIENT_SECRET": "sandbox-zoho-secret-4f9a1c07",
        }
    from sandboxes.exact.generate import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    return {
        "DUNNING_SECRET_KEY": key,
        "EXACT_CLIENT_ID": DEMO_CLIENT_ID,
        "EXACT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
    }


def _rerun(platform: str, conn: Any, out: Any, root: Path, key: str, ended: str) -> None:
    """Runs in a fresh child process: the hourly run the next business day, once the backlog
    is worked off (nothing changed in the ledger). Its peak RSS should not grow with the
    ledger (issue #18): sync pages are streamed, the history read is the part still in play."""
    from connector import run as run_mod
    from connector.app import App

    day = datetime.fromisoformat(ended).replace(hour=9, minute=0, second=0, microsecond=0)
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    meter = Meter()
    clock = _shared_clock(conn, day)
    clock.set(day)
    _count_calls(meter, clock)
    app = App.open(root / "config", _env(platform, key))
    tenant = app.tenant(SLUG, clock)
    t0 = time.perf_counter()
    result = run_mod.run_tenant(tenant, clock)
    seconds = time.perf_counter() - t0
    app.engine.dispose()
    out.put(
        {
            "calls": meter.api,
            "tokens": meter.tokens,
            "planned": len(result.planned),
            "error": result.error,
            "seconds": seconds,
            "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def _token_windows(times: list[float]) -> tuple[int, float | None]:
    """The most token requests within any 10 minutes, and the shortest gap between two."""
    most = 0
    for i, t in enumerate(times):
        most = max(most, sum(1 for u in times[i:] if u - t < 600))
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return most, (min(gaps) if gaps else None)


def run_size(platform: str, n: int) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    port = free_port()
    parent, child_end = ctx.Pipe()
    sandbox = ctx.Process(target=_serve, args=(platform, port, n, child_end), daemon=True)
    sandbox.start()
    try:
        if not parent.poll(900):
            raise RuntimeError("the sandbox did not start")
        info = parent.recv()
        out = ctx.Queue()
        key = Fernet.generate_key().decode()
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            worker = ctx.Process(
                target=_connector, args=(platform, port, info, parent, out, root, key)
            )
            worker.start()
            figures = dict(out.get(timeout=6 * 3600))
            worker.join()
            rerun = ctx.Process(
                target=_rerun, args=(platform, parent, out, root, key, figures["ended"])
            )
            rerun.start()
            figures["rerun"] = dict(out.get(timeout=3600))
            rerun.join()
        parent.send(("stop", None))
        return figures
    finally:
        sandbox.kill()
        sandbox.join()


def _print(platform: str, n: int, f: dict[str, Any]) -> None:
    daily = ZOHO_DAILY if platform == "zoho" else EXACT_DAILY
    days = f["days"]
    failures = sum(d["failed"] + d["review"] for d in days) + sum(
        1 for d in days if d["error"] and "budget" not in d["error"].lower()
    )
    sent = sum(d["sent"] for d in days)
    print(
        f"\n{platform} {n:,} invoices: backlog {f['backlog']} actions on day 1, {sent} done in "
        f"{len(days)} day(s); failures {failures}"
    )
    if f["worked_off"] is not None:
        print(f"  the first day's backlog was worked off on day {f['worked_off']}")
    else:
        print(f"  the first day's backlog was NOT worked off within {len(days)} day(s)")
    for d in days:
        error = f"  ({d['error']})" if d["error"] else ""
        print(
            f"  day {d['day']:>2}: {d['calls']:>6} calls of {daily:,} ({d['calls'] / daily:5.0%}), "
            f"{d['tokens']} token requests, {d['planned']:>5} planned, {d['sent']:>5} done, "
            f"{d['deferred']:>5} carried over, {d['failed']} failed, {d['review']} review{error}"
        )
    # the re-checks read ahead for several actions at once count towards every action alike
    actions = max(1, sent)
    ahead = f["ahead_calls"] / actions
    print(f"  {'step kind':<22} {'actions':>7} {'calls/action':>12} {'minimum':>8} {'ratio':>6}")
    for kind in sorted(f["per_kind"]):
        used, least = f["per_kind"][kind], f["minimum"][kind]
        per, low = sum(used) / len(used) + ahead, sum(least) / len(least)
        print(f"  {kind:<22} {len(used):>7} {per:>12.2f} {low:>8.2f} {per / low:>6.2f}")
    if f["link_calls"]:
        print(
            f"  pay links read from invoice details (only on days with room in the budget; not "
            f"in the ratio): {f['link_calls']} calls, {f['link_calls'] / actions:.2f} per action"
        )
    if f["ahead_calls"]:
        print(
            f"  (of which re-checks read ahead in batches: {f['ahead_calls']} calls, "
            f"{ahead:.2f} per action)"
        )
    other = sum(d["calls"] for d in days) - f["perform_calls"] - f["ahead_calls"]
    gap = f["token_min_gap"]
    print(
        f"  all: {f['api']} API calls ({f['api'] / actions:.2f} per action done; "
        f"{other} of them outside the actions: sync, reconciliation)"
    )
    print(
        f"  token requests {f['tokens']}: at most {f['token_max_10min']} in 10 minutes, "
        f"shortest gap {'-' if gap is None else f'{gap:.0f} s'}; "
        f"SQL statements {f['sql']}; wall {f['seconds']:.0f} s; peak RSS {f['rss_mib']:.0f} MiB"
    )
    r = f["rerun"]
    print(
        f"  re-run the next business day (fresh process): {r['calls']} API calls, "
        f"{r['tokens']} token requests, {r['planned']} planned, wall {r['seconds']:.1f} s, "
        f"peak RSS {r['rss_mib']:.0f} MiB{'  (' + r['error'] + ')' if r['error'] else ''}"
    )


def main() -> None:
    sizes = [
        int(s) for s in os.environ.get("BENCH_FIRST_RUN_SIZES", "10000,50000,100000").split(",")
    ]
    platforms = os.environ.get("BENCH_FIRST_RUN_PLATFORMS", "zoho,exact").split(",")
    print("== First run of one client, day by day (sandboxes in a child process, SQLite) ==")
    for platform in platforms:
        for n in sizes:
            _print(platform, int(n), run_size(platform, int(n)))


if __name__ == "__main__":
    main()
