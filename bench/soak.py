"""`python -m bench.soak [--trials N] [--seed S] [--sigkills K] [--jobs J]`: the crash and fault
campaign of issue #15, measured.

Each trial is a small world on the Zoho or the Exact sandbox (over loopback, with a real SMTP
server for Exact): one or two new customers with overdue invoices, then a run of the connector
with randomised trouble, then recovery runs without trouble, then the checks. The trouble:

* a kill at an outbox or token step boundary (before or after `enqueue`, `claim`,
  `record_before`, `mark`, `take_over_stale`, the token lease, journal, commit and release),
  injected in-process as a `Killed` BaseException that no handler catches; the "process" is
  then restarted (a fresh `App`, nothing kept in memory);
* true SIGKILLs of a child process running the client at a random moment (`--sigkills`);
* 429 bursts, 500/503 answers and malformed pages from the sandbox's fault queue;
* timeouts: a request that never reached the server, or one the server acted on whose answer
  was lost (injected at the HTTP edge, `requests.Session.send`);
* SMTP partial refusals (Exact: a customer with two addresses, one refused by the relay);
* payments arriving before the run or between planning and sending.

It prints trials, duplicate mails, lost refresh tokens, reminders to paid invoices and stuck
rows; the last four must be 0 (exit 1 otherwise). Ground truth is the sandbox's own record of
what was sent (Zoho's sent mails, the SMTP server's mails for Exact), not the outbox.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests

from connector.app import App
from connector.domain.clock import ManualClock
from connector.run import RunResult, run_tenant
from connector.store import outbox
from connector.store.db import session_scope
from connector.store.tokens import TokenRepository
from sandboxes.exact.world import ExactWorld
from sandboxes.kit.faults import Fault
from sandboxes.kit.router import Response
from sandboxes.world import local_moment
from sandboxes.zoho.world import ZohoWorld

# a killed run's lease must run out quickly (real seconds) for the SIGKILL trials: the children
# get it through the environment, the runs in this process through `App.lease_ttl`
os.environ.setdefault("DUNNING_RUN_LEASE_SECONDS", "1")
SOAK_LEASE = timedelta(seconds=1)

START = date(2026, 3, 2)
#: trials per world: a world is rebuilt after this many (keeps each run small)
BATCH = 25
#: later than any claim: a recovery run reconciles what a killed run left in `sending`
RECOVERY_STEP = timedelta(minutes=11)

OUTBOX_STEPS = ("enqueue", "claim", "record_before", "mark", "take_over_stale")
TOKEN_STEPS = ("try_lease", "journal", "commit_refresh", "release", "set_extra")
KILL_POINTS = tuple(
    f"{where}.{step}:{when}"
    for where, steps in (("outbox", OUTBOX_STEPS), ("tokens", TOKEN_STEPS))
    for step in steps
    for when in ("before", "after")
)
ZOHO_PATHS = (r"/books/v3/invoices$", r"/books/v3/contacts$", r"/books/v3/customerpayments$")
EXACT_PATHS = (r"/sync/Cashflow/PaymentTerms$", r"/cashflow/Receivables$", r"/crm/Accounts$")


class Killed(BaseException):
    """The process died here (no handler catches a BaseException of ours)."""


# -- fault injection at the step boundaries and the HTTP edge ------------------------------
@dataclass
class Injector:
    kill_at: str | None = None
    kill_on_hit: int = 1
    fired: str | None = None
    on: dict[str, Callable[[], None]] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    #: ("before"|"after", method, n-th matching request) for one timeout
    timeout: tuple[str, str, int] | None = None
    requests_seen: Counter[str] = field(default_factory=Counter)

    def point(self, name: str) -> None:
        self.hits[name] += 1
        action = self.on.pop(name, None)
        if action is not None:
            action()
        if self.kill_at == name and self.hits[name] >= self.kill_on_hit:
            self.kill_at = None
            self.fired = name
            raise Killed(name)

    def disarm(self) -> None:
        self.kill_at = None
        self.on.clear()
        self.timeout = None


INJECT = Injector()


def _wrap(owner: Any, attr: str, label: str) -> None:
    original = getattr(owner, attr)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        INJECT.point(f"{label}:before")
        result = original(*args, **kwargs)
        INJECT.point(f"{label}:after")
        return result

    setattr(owner, attr, wrapped)


@functools.cache
def install() -> None:
    """Wrap the outbox and token store steps and the HTTP edge (once per process: cached)."""
    for step in OUTBOX_STEPS:
        _wrap(outbox, step, f"outbox.{step}")
    for step in TOKEN_STEPS:
        _wrap(TokenRepository, step, f"tokens.{step}")
    send = requests.Session.send

    def send_with_timeouts(self: requests.Session, request: Any, **kwargs: Any) -> Any:
        plan = INJECT.timeout
        if plan is not None and request.method == plan[1]:
            INJECT.requests_seen[plan[1]] += 1
            if INJECT.requests_seen[plan[1]] == plan[2]:
                INJECT.timeout = None
                if plan[0] == "before":
                    raise requests.ConnectTimeout("injected: no connection")
                send(self, request, **kwargs)  # the server acts; the answer is lost
                raise requests.ReadTimeout("injected: the answer was lost")
        return send(self, request, **kwargs)

    requests.Session.send = send_with_timeouts  # type: ignore[method-assign]


# -- the figures -----------------------------------------------------------------------------
@dataclass
class Figures:
    trials: int = 0
    duplicates: int = 0
    lost_tokens: int = 0
    paid_reminded: int = 0
    stuck: int = 0
    kills: int = 0
    sigkills: int = 0
    http_faults: int = 0
    timeouts: int = 0
    refusals: int = 0
    payments: int = 0
    mails: int = 0
    review: int = 0
    failed_runs: int = 0
    notes: list[str] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for name, value in vars(other).items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
        self.notes += other.notes

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.lost_tokens or self.paid_reminded or self.stuck)

    def lines(self, seconds: float) -> list[str]:
        return [
            f"trials: {self.trials} ({seconds:.0f} s)",
            f"duplicate mails: {self.duplicates}",
            f"lost refresh tokens: {self.lost_tokens}",
            f"reminders to paid invoices: {self.paid_reminded}",
            f"stuck rows: {self.stuck}",
            f"faults: {self.kills} in-process kills at outbox/token steps, {self.sigkills} "
            f"SIGKILLs, {self.http_faults} HTTP faults (429/5xx/malformed), {self.timeouts} "
            f"timeouts, {self.refusals} SMTP partial refusals, {self.payments} payments "
            "during the trial",
            f"mails sent: {self.mails}; actions left for review (outcome unknown, by design "
            f"never resent): {self.review}; runs that failed (and were recovered): "
            f"{self.failed_runs}",
        ]


# -- one platform's worlds ---------------------------------------------------------------------
class Platform:
    name = ""

    def __init__(self, root: Path, rng: random.Random) -> None:
        self.root = root
        self.rng = rng
        self.world: Any = None
        self.built = 0

    # world lifecycle
    def fresh(self) -> None:
        self.close()
        self.built += 1
        self.world = self.create(self.root / f"{self.name}-{self.built}")
        self.world.app.lease_ttl = SOAK_LEASE
        self.day = START
        self.world.clock.set(local_moment(self.day, 8))

    def close(self) -> None:
        if self.world is not None:
            self.world.close()
            self.world = None

    def restart(self) -> None:
        """A new process: a fresh App and tenant, nothing from the dead one's memory."""
        world = self.world
        world.app.engine.dispose()
        world.app = App.open(world.root / "config", world.env)
        world.app.lease_ttl = SOAK_LEASE
        world.reload()

    # platform specifics
    def create(self, root: Path) -> Any:
        raise NotImplementedError

    def add_customer(self, n: int, emails: str) -> tuple[str, list[Any]]:
        raise NotImplementedError

    def pay(self, ref: str, invoices: list[Any]) -> None:
        raise NotImplementedError

    def mails(self) -> list[tuple[str, str, date]]:
        """(customer ref, kind, day) of every customer mail, in order."""
        raise NotImplementedError

    def reminder_kinds(self) -> frozenset[str]:
        raise NotImplementedError

    def http_fault(self) -> None:
        raise NotImplementedError

    def reconnect(self) -> None:
        self.world.connect("demo")


class Zoho(Platform):
    name = "zoho"

    def create(self, root: Path) -> ZohoWorld:
        from sandboxes.zoho.generate import seed_demo

        def empty(state: Any, org: str, seed: int) -> Any:
            return seed_demo(state, seed=seed, customers=0, invoices=0, organization_id=org)

        return ZohoWorld.open(root, start=local_moment(START, 8), populate=empty)

    def add_customer(self, n: int, emails: str) -> tuple[str, list[Any]]:
        w = self.world
        org = w.organization()
        contact = w.state.add_contact(
            org, f"Klant {n}", email=emails, created=w.clock.now() - timedelta(days=200)
        )
        invoices = []
        for _ in range(self.rng.choice((1, 1, 2))):
            due = self.day - timedelta(days=self.rng.randint(8, 30))
            invoices.append(
                w.state.add_invoice(
                    org,
                    contact.contact_id,
                    Decimal(self.rng.randint(50, 900)),
                    due - timedelta(days=30),
                    due,
                    created=w.clock.now() - timedelta(days=40),
                )
            )
        return contact.contact_id, invoices

    def pay(self, ref: str, invoices: list[Any]) -> None:
        w = self.world
        for inv in invoices:
            if inv.balance > 0:
                w.state.record_payment(
                    w.organization(), inv.invoice_id, inv.balance, None, at=w.clock.now()
                )

    def mails(self) -> list[tuple[str, str, date]]:
        od = self.world.state.data(self.world.organization())
        return [(m.contact_id, m.kind, od.today(m.at)) for m in self.world.state.mails()]

    def reminder_kinds(self) -> frozenset[str]:
        return frozenset({"payment_reminder", "statement"})

    def http_fault(self) -> None:
        w = self.world
        path = self.rng.choice(ZOHO_PATHS)
        kind = self.rng.choice(("429", "500", "503", "malformed"))
        if kind == "429":
            answer = Response.json(
                {"code": 44, "message": "too many requests"}, 429, {"Retry-After": "2"}
            )
        elif kind == "malformed":
            answer = Response(200, b'{"code": 0, "invoices": [{"invoice_id": ', {})
        else:
            answer = Response.json({"code": 1, "message": "oops"}, int(kind))
        w.router.faults.add(
            Fault("GET", path, answer, times=self.rng.randint(1, 4), skip=self.rng.randint(0, 2))
        )


class Exact(Platform):
    name = "exact"

    def create(self, root: Path) -> ExactWorld:
        from sandboxes.exact.generate import seed_demo

        def empty(state: Any, seed: int) -> Any:
            return seed_demo(state, seed=seed, accounts=0)

        return ExactWorld.open(root, start=local_moment(START, 8), populate=empty)

    def add_customer(self, n: int, emails: str) -> tuple[str, list[Any]]:
        w = self.world
        division = w.division()
        account = w.state.add_account(division, f"Klant {n}", email=emails)
        invoices = []
        for _ in range(self.rng.choice((1, 1, 2))):
            due = self.day - timedelta(days=self.rng.randint(8, 30))
            invoices.append(
                w.state.add_receivable(
                    division,
                    account.id,
                    Decimal(self.rng.randint(50, 900)),
                    due - timedelta(days=30),
                    due,
                )
            )
        self.addresses[account.id] = emails
        return account.id, invoices

    def fresh(self) -> None:
        self.addresses: dict[str, str] = {}
        super().fresh()

    def pay(self, ref: str, invoices: list[Any]) -> None:
        w = self.world
        for term in invoices:
            if term.open_amount > 0:
                w.state.record_payment(w.division(), term.id, term.open_amount, self.day)

    def mails(self) -> list[tuple[str, str, date]]:
        by_address: dict[str, str] = {}
        for ref, emails in self.addresses.items():
            for address in emails.split(","):
                by_address[address.strip()] = ref
        out = []
        for m in self.world.smtp.mails:
            ref = next((by_address[a] for a in m.to if a in by_address), "?")
            subject = m.subject.lower()
            kind = "thank_you" if ("bedankt" in subject or "thank" in subject) else "reminder"
            out.append((ref, f"{kind}:{m.message['Message-ID']}", m.day))
        return out

    def reminder_kinds(self) -> frozenset[str]:
        return frozenset({"reminder"})

    def http_fault(self) -> None:
        w = self.world
        path = self.rng.choice(EXACT_PATHS)
        kind = self.rng.choice(("429", "500", "503", "malformed"))
        if kind == "429":
            headers = w.state.peek_rate("x", 0)
            answer = Response.json(
                {"error": {"code": "", "message": {"lang": "", "value": "API rate limit"}}},
                429,
                {k: v for k, v in headers.items() if "Minutely" in k},
            )
        elif kind == "malformed":
            answer = Response(200, b'{"d": {"results": [{"ID": ', {})
        else:
            answer = Response.json(
                {"error": {"code": "", "message": {"lang": "", "value": "Oops"}}}, int(kind)
            )
        w.router.faults.add(
            Fault("GET", path, answer, times=self.rng.randint(1, 4), skip=self.rng.randint(0, 2))
        )


# -- a trial ---------------------------------------------------------------------------------
def run_safely(platform: Platform, figures: Figures, at: datetime) -> RunResult | None:
    """One run; a `Killed` restarts the 'process'."""
    try:
        result: RunResult = platform.world.run("demo", at=at)
    except Killed:
        figures.kills += 1
        platform.restart()
        return None
    if not result.ok and not result.skipped:
        figures.failed_runs += 1
    return result


def sigkill_run(platform: Platform, at: datetime) -> None:
    """The run in a child process, SIGKILLed at a random moment; the parent restarts."""
    world = platform.world
    world.app.engine.dispose()
    env = {**os.environ, **world.env, "DUNNING_RUN_LEASE_SECONDS": "1"}
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.soak", "--child", str(world.root / "config"), at.isoformat()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(platform.rng.uniform(0.2, 2.5))
    if child.poll() is None:
        child.send_signal(signal.SIGKILL)
    child.wait()
    time.sleep(1.2)  # the dead run's lease (1 s) runs out
    platform.restart()


def trial(platform: Platform, n: int, figures: Figures, sigkill: bool) -> None:
    rng = platform.rng
    world = platform.world
    platform.day += timedelta(days=1)
    morning = local_moment(platform.day, 9)
    world.clock.set(local_moment(platform.day, 8))
    emails = f"klant{n}@cust{n}.example"
    refused = platform.name == "exact" and rng.random() < 0.25
    if refused:
        emails = f"klant{n}@cust{n}.example, bad{n}@cust{n}.example"
        world.smtp.refuse.add(f"bad{n}@cust{n}.example")
        figures.refusals += 1
    ref, invoices = platform.add_customer(n, emails)
    paid_from: dict[str, int] = {}

    def pay() -> None:
        platform.pay(ref, invoices)
        paid_from[ref] = len(platform.mails())
        figures.payments += 1

    roll = rng.random()
    if roll < 0.15:
        pay()  # paid this morning, before the run
    elif roll < 0.35:
        INJECT.on[rng.choice(("outbox.enqueue:after", "outbox.claim:before"))] = pay
    if rng.random() < 0.7 and not sigkill:
        INJECT.kill_at = rng.choice(KILL_POINTS)
        INJECT.kill_on_hit = rng.choice((1, 1, 2))
    if rng.random() < 0.35:
        platform.http_fault()
        figures.http_faults += 1
    if rng.random() < 0.2:
        INJECT.timeout = (rng.choice(("before", "after")), rng.choice(("GET", "POST")), 1)
        figures.timeouts += 1
    if sigkill:
        figures.sigkills += 1
        sigkill_run(platform, morning)
    else:
        run_safely(platform, figures, morning)
    pending_payment = bool(INJECT.on)
    INJECT.disarm()
    world.router.faults.clear()
    if pending_payment and ref not in paid_from:
        pay()  # the payment still arrives, after the run
    at = morning
    for _ in range(3):  # recovery: no trouble, later than any claim
        at += RECOVERY_STEP
        result = run_safely(platform, figures, at)
        if result is not None and not result.ok and "consent" in (result.error or "").lower():
            figures.lost_tokens += 1
            figures.notes.append(f"{platform.name} trial {n}: {result.error}")
            platform.reconnect()
            platform.world.reload()
        with session_scope(platform.world.app.engine) as session:
            busy = outbox.in_state(session, "demo", ["pending", "sending"])
        if not busy:
            break
    token = platform.world.app.tokens.get("demo")
    if token is not None and token.state == "consent_needed":
        figures.lost_tokens += 1
        figures.notes.append(f"{platform.name} trial {n}: token {token.state_reason}")
        platform.reconnect()
        platform.world.reload()
    with session_scope(platform.world.app.engine) as session:
        stuck = outbox.in_state(session, "demo", ["pending", "sending"])
    if stuck:
        figures.stuck += len(stuck)
        figures.notes.append(
            f"{platform.name} trial {n}: {len(stuck)} stuck ({[r.status for r in stuck]})"
        )
        with session_scope(platform.world.app.engine) as session:
            for row in stuck:  # settle them so the next trial starts clean
                outbox.mark(session, row.id or 0, "review", "soak: stuck", at)
    mails = platform.mails()
    for customer, start in paid_from.items():
        late = [
            m
            for m in mails[start:]
            if m[0] == customer and _kind(m[1]) in platform.reminder_kinds()
        ]
        if late:
            figures.paid_reminded += len(late)
            figures.notes.append(f"{platform.name} trial {n}: {late} after payment")
    figures.trials += 1


def _kind(kind: str) -> str:
    return kind.split(":", 1)[0]


def count_duplicates(platform: Platform, figures: Figures) -> None:
    """Ground truth over the whole world: a customer mailed twice for one thing."""
    mails = platform.mails()
    figures.mails += len(mails)
    seen: Counter[object]
    if platform.name == "exact":  # the Message-ID comes from the action's idempotency key
        seen = Counter(kind for _ref, kind, _day in mails)
    else:  # steps are days apart: one mail of a kind a customer a day at most
        seen = Counter((ref, kind, day) for ref, kind, day in mails)
    twice = {k: v for k, v in seen.items() if v > 1}
    figures.duplicates += sum(v - 1 for v in twice.values())
    for key in list(twice)[:5]:
        figures.notes.append(f"{platform.name}: mailed {twice[key]} times: {key}")
    with session_scope(platform.world.app.engine) as session:
        figures.review += len(outbox.in_state(session, "demo", ["review"]))


def campaign(name: str, trials: int, seed: int | str, sigkills: int, root: Path) -> Figures:
    install()
    rng = random.Random(f"{seed}-{name}")
    platform: Platform = Zoho(root, rng) if name == "zoho" else Exact(root, rng)
    figures = Figures()
    kill_at = set(rng.sample(range(trials), min(sigkills, trials)))
    try:
        for n in range(trials):
            if n % BATCH == 0:
                if platform.world is not None:
                    count_duplicates(platform, figures)
                platform.fresh()
            trial(platform, n, figures, n in kill_at)
        if platform.world is not None:
            count_duplicates(platform, figures)
    finally:
        platform.close()
    return figures


def _campaign_job(args: tuple[str, int, str, int, str]) -> Figures:
    import logging

    # runs that fail on purpose would fill the screen; restored after, since a job may run in
    # the caller's process (the small soak in the test suite), whose later logs must still work
    logging.disable(logging.CRITICAL)
    try:
        name, trials, seed, sigkills, root = args
        return campaign(name, trials, seed, sigkills, Path(root))
    finally:
        logging.disable(logging.NOTSET)


def _chunks(total: int, parts: int) -> list[int]:
    parts = max(1, min(parts, total)) if total else 1
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def soak(trials: int, seed: int, sigkills: int, jobs: int) -> tuple[Figures, float]:
    """Half the trials on each platform, each platform's share cut into chunks run in parallel
    (an Exact trial costs about twice a Zoho one: it gets two thirds of the jobs)."""
    started = time.monotonic()
    half = trials // 2
    exact_jobs = max(1, (2 * jobs) // 3) if jobs > 1 else 1
    zoho_jobs = max(1, jobs - exact_jobs) if jobs > 1 else 1
    with tempfile.TemporaryDirectory(prefix="dunning-soak-") as tmp:
        work: list[tuple[str, int, str, int, str]] = []
        for name, share, kills, parts in (
            ("zoho", trials - half, sigkills - sigkills // 2, zoho_jobs),
            ("exact", half, sigkills // 2, exact_jobs),
        ):
            sizes = _chunks(share, parts)
            kill_sizes = _chunks(kills, len(sizes)) if kills else [0] * len(sizes)
            kill_sizes += [0] * (len(sizes) - len(kill_sizes))
            for i, n in enumerate(sizes):
                if n:
                    work.append((name, n, f"{seed}-{i}", kill_sizes[i], f"{tmp}/{name}-{i}"))
        if jobs > 1:
            import multiprocessing

            with multiprocessing.get_context("spawn").Pool(len(work)) as pool:
                results = pool.map(_campaign_job, work)
        else:
            results = [_campaign_job(w) for w in work]
    total = Figures()
    for figures in results:
        total.add(figures)
    return total, time.monotonic() - started


def child(config_dir: str, at: str) -> int:
    """A run of client "demo" in this process (the parent SIGKILLs it at a random moment)."""
    moment = datetime.fromisoformat(at)
    clock = ManualClock(moment)
    app = App.open(Path(config_dir), dict(os.environ))
    run_tenant(app.tenant("demo", clock), clock)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--sigkills", type=int, default=None, help="default: 2%% of trials")
    parser.add_argument("--jobs", type=int, default=8, help="processes (chunks of trials)")
    parser.add_argument("--child", nargs=2, metavar=("CONFIG_DIR", "AT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child)
    sigkills = args.sigkills if args.sigkills is not None else max(2, args.trials // 50)
    figures, seconds = soak(args.trials, args.seed, sigkills, args.jobs)
    for line in figures.lines(seconds):
        print(line)
    for note in figures.notes[:30]:
        print(f"  {note}")
    return 0 if figures.ok else 1


if __name__ == "__main__":
    import logging

    logging.disable(logging.CRITICAL)
    raise SystemExit(main())
