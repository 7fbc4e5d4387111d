"""`dunning demo --platform exact`, and the Exact sandbox world end-to-end tests run in.

`ExactSandboxWorld` starts the bundled fake Exact Online on loopback and a real SMTP server
(aiosmtpd) catching the mails, writes a real configuration directory pointing at both
(``base_url`` override, ``${ENV}`` secrets, a ``mail:`` section), opens the real `App` and stores
a token as a finished consent would. Time is one `ManualClock` shared by the sandbox, the SMTP
catcher and the connector: rate-limit waits advance it instead of sleeping, and Exact's
600-second tokens and 570-second rule run on it.

The demo runs the connector once per simulated day (09:00 local) for 90 days while the
sandbox's customers pay according to their habits (customers who wait for a reminder pay after
one reaches their mailbox on the SMTP server), then writes a report and checks that no reminder
went to a customer after they paid.
"""

from __future__ import annotations

import email
import json
import socket
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import Message
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet

from connector.app import App
from connector.clock import Clock, ManualClock
from connector.demo import ZONE, DrivesConnector, local_moment
from connector.report.story import KIND_LABELS
from connector.tenant import Tenant
from sandboxes.exact import ExactRouter, ExactState, Limits, make_app
from sandboxes.exact.generate import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DemoInfo,
    PaymentSimulator,
    demo_tokens,
    seed_demo,
)
from sandboxes.kit.server import LoopbackServer

SENDER = "debiteuren@demo-installatie.example"


@dataclass(frozen=True)
class CaughtMail:
    at: datetime
    mail_from: str
    to: tuple[str, ...]
    message: Message

    @property
    def day(self) -> date:
        return self.at.astimezone(ZoneInfo(ZONE)).date()

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    def text(self) -> str:
        """The text/plain part, decoded."""
        for part in self.message.walk():
            if part.get_content_type() == "text/plain" and not part.get_filename():
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    return payload.decode(part.get_content_charset() or "utf-8")
        return ""

    def attachments(self) -> list[tuple[str, bytes]]:
        out = []
        for part in self.message.walk():
            name = part.get_filename()
            payload = part.get_payload(decode=True)
            if name and isinstance(payload, bytes):
                out.append((name, payload))
        return out


class SmtpCatcher:
    """A real SMTP server on loopback (aiosmtpd) keeping every message it receives."""

    def __init__(self, clock: Clock) -> None:
        from aiosmtpd.controller import Controller

        self.clock = clock
        self.mails: list[CaughtMail] = []
        #: recipients this server refuses (550 to RCPT TO), as a real relay refuses a bad one
        self.refuse: set[str] = set()
        self._lock = threading.Lock()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content)
        with self._lock:
            self.mails.append(
                CaughtMail(
                    self.clock.now(), str(envelope.mail_from), tuple(envelope.rcpt_tos), message
                )
            )
        return "250 Message accepted for delivery"

    def start(self) -> SmtpCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[CaughtMail]:
        with self._lock:
            return [m for m in self.mails if address in m.to]


@dataclass
class ExactSandboxWorld(DrivesConnector):
    """The Exact sandbox and an SMTP catcher on loopback plus a connector configured for them."""

    root: Path
    clock: ManualClock
    state: ExactState
    router: ExactRouter
    server: LoopbackServer
    smtp: SmtpCatcher
    app: App
    info: DemoInfo
    divisions: dict[str, int]
    env: dict[str, str]
    _tenants: dict[str, Tenant] = field(default_factory=dict)

    @classmethod
    def create(
        cls,
        root: Path,
        *,
        start: datetime,
        seed: int = 7,
        slugs: Sequence[str] = ("demo",),
        limits: Limits | None = None,
        database_url: str | None = None,
        populate: Callable[[ExactState, int], DemoInfo] | None = None,
        connect: bool = True,
        client_overrides: dict[str, str] | None = None,
    ) -> ExactSandboxWorld:
        """`populate(state, seed)` fills the sandbox (default: the demo ledger, one division
        per slug, up to two)."""
        root.mkdir(parents=True, exist_ok=True)
        clock = ManualClock(start)
        state = ExactState(clock.now, limits)
        fill = populate or (lambda st, s: seed_demo(st, seed=s, divisions=len(slugs)))
        info = fill(state, seed)
        router = make_app(state)
        server = LoopbackServer(router).start()
        smtp = SmtpCatcher(clock).start()
        divisions = {slug: info.divisions[n] for n, slug in enumerate(slugs)}
        env = {
            "EXACT_CLIENT_ID": DEMO_CLIENT_ID,
            "EXACT_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
        }
        config_dir = root / "config"
        write_config(
            config_dir,
            server.url,
            smtp.port,
            divisions,
            database_url or f"sqlite:///{root / 'dunning.db'}",
            client_overrides or {},
        )
        app = App.open(config_dir, env)
        world = cls(root, clock, state, router, server, smtp, app, info, divisions, env)
        if connect:
            for slug in slugs:
                world.connect(slug)
        return world

    def connect(self, slug: str) -> None:
        """Store a token as `dunning auth login` would (issued 570 s ago: refreshable now)."""
        tokens = demo_tokens(self.state, self.info)
        issued = self.clock.now() - timedelta(seconds=self.state.limits.refresh_min_interval)
        self.app.tokens.put_initial(
            slug,
            "default",
            "exact",
            refresh_token=tokens.refresh_token,
            access_token=tokens.access_token,
            expires_at=issued + timedelta(seconds=int(tokens.expires_in)),
            now=self.clock.now(),
        )

    def close(self) -> None:
        self.server.stop()
        self.smtp.stop()
        self.app.engine.dispose()

    def division(self, slug: str = "demo") -> int:
        return self.divisions[slug]

    def written(self, slug: str = "demo") -> dict[str, list[dict[str, Any]]]:
        return self.state.written(self.division(slug))

    def mail_days(self, address: str) -> list[date]:
        return [m.day for m in self.smtp.to(address)]


def write_config(
    config_dir: Path,
    sandbox_url: str,
    smtp_port: int,
    divisions: dict[str, int],
    database_url: str,
    overrides: dict[str, str],
) -> None:
    (config_dir / "clients").mkdir(parents=True, exist_ok=True)
    (config_dir / "connector.yaml").write_text(
        f"database_url: {json.dumps(database_url)}\n"
        f"timezone: {ZONE}\n"
        'sending_window: "08:00-17:00"\n'
        "full_reconcile_every_hours: 24\n"
    )
    for slug, division in divisions.items():
        (config_dir / "clients" / f"{slug}.yaml").write_text(
            f"display_name: Demo Installatietechniek B.V. ({slug})\n"
            "platform: exact\n"
            "exact:\n"
            f"  base_url: {sandbox_url}\n"
            f"  division: {division}\n"
            "  client_id: ${EXACT_CLIENT_ID}\n"
            "  client_secret: ${EXACT_CLIENT_SECRET}\n"
            "mail:\n"
            "  smtp_host: 127.0.0.1\n"
            f"  smtp_port: {smtp_port}\n"
            f"  from: {SENDER}\n"
            "  starttls: false\n"
            "policy: nl-b2b-standard\n"
            "language: nl\n"
            f"sender: {{name: Demo Installatietechniek B.V., email: {SENDER}, "
            'phone: "+31 20 123 4567", iban: NL91ABNA0417164300, bic: ABNANL2A}\n'
            + overrides.get(slug, "")
        )


# -- the demo ----------------------------------------------------------------------------
@dataclass
class ExactDemoResult:
    report: Path
    summary: list[str]
    mails_after_payment: list[str]
    sent_by_kind: Counter[str]


def run_exact_demo(
    out: Path,
    *,
    days: int = 90,
    seed: int = 7,
    start: date | None = None,
    echo: Callable[[str], object] = print,
) -> Path:
    return simulate_exact(out, days=days, seed=seed, start=start, echo=echo).report


def simulate_exact(
    out: Path,
    *,
    days: int = 90,
    seed: int = 7,
    start: date | None = None,
    echo: Callable[[str], object] = print,
) -> ExactDemoResult:
    from connector import demo_folder

    start = start or date(2026, 1, 5)
    out = demo_folder.prepare(out)  # clean, absolute; refuses a folder with others' files
    with ExactSandboxWorld.create(
        out,
        start=local_moment(start, 8),
        seed=seed,
        database_url=f"sqlite:///{out / 'demo.db'}",
    ) as world:
        payer = PaymentSimulator(world.state, world.division(), seed)
        failures = 0
        for n in range(days):
            day = start + timedelta(days=n)
            run = world.run("demo", at=local_moment(day, 9))
            if not run.ok:
                failures += 1
                echo(f"{day}: run failed: {run.error}")
            for line in run.dispatch.lines:
                echo(f"{day}  {line}")
            world.clock.set(local_moment(day, 12))
            payer.simulate_day(day, world.mail_days)
        outcome = build_exact_report(world, start, days, out)
        for line in outcome.summary:
            echo(line)
        if failures:
            echo(f"{failures} runs failed")
        demo_folder.finish(out)
        return outcome


def _paid_before(world: ExactSandboxWorld, term_id: str, moment: datetime) -> bool:
    term = world.state.data(world.division()).terms.get(term_id)
    if term is None:
        return False
    day = moment.astimezone(ZoneInfo(ZONE)).date()
    paid = sum((amount for on, amount in term.payments if on < day), start=type(term.amount_dc)(0))
    return paid >= term.amount_dc


def build_exact_report(
    world: ExactSandboxWorld, start: date, days: int, out: Path
) -> ExactDemoResult:
    dd = world.state.data(world.division())
    zone = ZoneInfo(ZONE)
    actions = world.actions("demo")
    bad = []
    for a in actions:
        if a["status"] != "sent" or a["kind"] in ("thank_you", "call_task", "handoff"):
            continue
        for ref, _step in a["items"]:
            if a["done_at"] is not None and _paid_before(world, ref, a["done_at"]):
                bad.append(
                    f"{a['done_at'].astimezone(zone):%Y-%m-%d} {a['kind']} for "
                    f"receivable {ref} which was already paid"
                )
    sent_by_kind: Counter[str] = Counter(a["kind"] for a in actions if a["status"] == "sent")
    statuses: Counter[str] = Counter(a["status"] for a in actions)
    written = world.written()
    summary = [
        f"demo (Exact Online): {days} days from {start} against the sandbox "
        f"({len(dd.accounts)} customers, {len(dd.terms)} receivables)",
        "actions done: "
        + (
            ", ".join(
                f"{KIND_LABELS['en'].get(k, k).lower()} {v}"
                for k, v in sorted(sent_by_kind.items())
            )
            or "none"
        ),
        "outbox: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        f"mails caught by the SMTP server: {len(world.smtp.mails)}",
        f"recorded in Exact: {len(written['notes'])} notes, {len(written['documents'])} "
        f"documents, {len(written['tasks'])} call tasks",
        f"reminders to a customer after they paid: {len(bad)}",
    ]
    from connector.demo import demo_page
    from connector.samples import write_samples

    samples = write_samples(world.app, "demo", start + timedelta(days=days), out / "samples")
    summary += [f"sample: {path}" for path in samples]
    report = out / "report.html"
    report.write_text(
        demo_page(
            world,
            start,
            days,
            out,
            samples,
            world.app.config.clients["demo"].language,
            len(dd.accounts),
            len(dd.terms),
            bad,
            platform="Exact Online",
        ),
        encoding="utf-8",
    )
    summary.append(f"report: {report}")
    return ExactDemoResult(report, summary, bad, sent_by_kind)
