"""The Exact Online sandbox world: the fake Exact on loopback and a real SMTP server (aiosmtpd)
catching the mails, with a connector configured for both (``base_url`` override, a ``mail:``
section).

Exact does not mail customers for us: the connector mails them over SMTP and records notes,
documents and call tasks in Exact. The clock is shared with the SMTP catcher too, so Exact's
600-second tokens and 570-second refresh rule run on it, and customers who wait for a reminder
pay after one reaches their mailbox on the SMTP server.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Self
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet

from connector.app import App
from connector.domain.clock import ManualClock
from sandboxes.exact.app import ExactRouter, make_app
from sandboxes.exact.generate import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DemoInfo,
    PaymentSimulator,
    demo_tokens,
    seed_demo,
)
from sandboxes.exact.state import ExactState, Limits
from sandboxes.kit.server import LoopbackServer
from sandboxes.kit.smtp import SmtpCatcher
from sandboxes.world import ZONE, SandboxWorld

SENDER = "debiteuren@demo-installatie.example"

#: actions that do not remind a customer of an open invoice
NOT_REMINDERS = ("thank_you", "call_task", "handoff")


@dataclass
class ExactWorld(SandboxWorld):
    """The Exact sandbox and an SMTP catcher on loopback plus a connector configured for them;
    one division per client."""

    platform: ClassVar[str] = "exact"
    label: ClassVar[str] = "Exact Online"
    samples_before_report: ClassVar[bool] = True

    state: ExactState
    router: ExactRouter
    smtp: SmtpCatcher
    info: DemoInfo
    divisions: dict[str, int]

    @classmethod
    def open(
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
        extra_env: dict[str, str] | None = None,
    ) -> Self:
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
        env.update(extra_env or {})
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
        world = cls(
            root=root,
            clock=clock,
            server=server,
            app=app,
            env=env,
            state=state,
            router=router,
            smtp=smtp,
            info=info,
            divisions=divisions,
        )
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

    # -- what the demo asks of a platform -------------------------------------------------
    def payments(self, seed: int) -> Callable[[date], object]:
        payer = PaymentSimulator(self.state, self.division(), seed)
        return lambda day: payer.simulate_day(day, self.mail_days)

    def ledger_size(self) -> tuple[int, int]:
        dd = self.state.data(self.division())
        return len(dd.accounts), len(dd.terms)

    def demo_headline(self, start: date, days: int) -> str:
        customers, receivables = self.ledger_size()
        return (
            f"demo (Exact Online): {days} days from {start} against the sandbox "
            f"({customers} customers, {receivables} receivables)"
        )

    def demo_facts(self) -> list[str]:
        written = self.written()
        return [
            f"mails caught by the SMTP server: {len(self.smtp.mails)}",
            f"recorded in Exact: {len(written['notes'])} notes, {len(written['documents'])} "
            f"documents, {len(written['tasks'])} call tasks",
        ]

    def mails_after_payment(self) -> list[str]:
        zone = ZoneInfo(ZONE)
        bad = []
        for a in self.actions("demo"):
            if a["status"] != "sent" or a["kind"] in NOT_REMINDERS:
                continue
            for ref, _step in a["items"]:
                if a["done_at"] is not None and self._paid_before(ref, a["done_at"]):
                    bad.append(
                        f"{a['done_at'].astimezone(zone):%Y-%m-%d} {a['kind']} for "
                        f"receivable {ref} which was already paid"
                    )
        return bad

    def _paid_before(self, term_id: str, moment: datetime) -> bool:
        term = self.state.data(self.division()).terms.get(term_id)
        if term is None:
            return False
        day = moment.astimezone(ZoneInfo(ZONE)).date()
        paid = sum(
            (amount for on, amount in term.payments if on < day), start=type(term.amount_dc)(0)
        )
        return paid >= term.amount_dc


#: `SandboxWorld.create(platform="exact")` builds this
World = ExactWorld


def write_config(
    config_dir: Path,
    sandbox_url: str,
    smtp_port: int,
    divisions: dict[str, int],
    database_url: str,
    overrides: dict[str, str],
) -> None:
    """connector.yaml and one clients/<slug>.yaml per division, pointing at the sandbox and
    mailing through the SMTP server on `smtp_port`."""
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
