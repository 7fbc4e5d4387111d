"""The Moneybird sandbox world: the fake Moneybird on loopback (OAuth and API on one URL) and a real
SMTP server (aiosmtpd) for the steps Moneybird cannot send, with a connector configured for both
(``api_url``/``accounts_url`` overrides, a ``mail:`` section).

Moneybird sends the reminders itself (``send_reminders``): the fake's reminder log is where the
demo looks for a reminder that reached a customer after they had paid, and where it counts the
reminders Moneybird's own workflow sent (none may go to an invoice the connector manages).
Customers who wait for a reminder pay a few days after one, whoever sent it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Self
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet

from connector.app import App
from connector.domain.clock import ManualClock
from connector.run import RunResult
from sandboxes.kit.server import LoopbackServer
from sandboxes.kit.smtp import SmtpCatcher
from sandboxes.moneybird.app import MoneybirdRouter, make_app
from sandboxes.moneybird.generate import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DemoInfo,
    PaymentSimulator,
    demo_tokens,
    seed_demo,
)
from sandboxes.moneybird.state import Administration, Limits, MoneybirdState
from sandboxes.world import ZONE, SandboxWorld

SENDER = "debiteuren@demo-schilderwerken.example"


@dataclass
class MoneybirdWorld(SandboxWorld):
    """The Moneybird sandbox and an SMTP catcher on loopback plus a connector configured for
    them; one administration per client."""

    platform: ClassVar[str] = "moneybird"
    label: ClassVar[str] = "Moneybird"

    state: MoneybirdState
    router: MoneybirdRouter
    smtp: SmtpCatcher
    info: DemoInfo
    administrations: dict[str, str]
    #: when the connector first ran (Moneybird's own reminders after it are counted)
    first_run: datetime | None = field(default=None, init=False)

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
        populate: Callable[[MoneybirdState, int, int], DemoInfo] | None = None,
        connect: bool = True,
        client_overrides: dict[str, str] | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> Self:
        """`populate(state, seed, administrations)` fills the sandbox (default: the demo ledger,
        one administration per slug, up to two)."""
        root.mkdir(parents=True, exist_ok=True)
        clock = ManualClock(start)
        state = MoneybirdState(clock.now, limits)
        fill = populate or (lambda st, s, n: seed_demo(st, seed=s, administrations=n))
        info = fill(state, seed, len(slugs))
        router = make_app(state)
        server = LoopbackServer(router).start()
        smtp = SmtpCatcher(clock).start()
        administrations = {slug: info.administrations[n] for n, slug in enumerate(slugs)}
        env = {
            "MONEYBIRD_CLIENT_ID": DEMO_CLIENT_ID,
            "MONEYBIRD_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
        }
        env.update(extra_env or {})
        config_dir = root / "config"
        write_config(
            config_dir,
            server.url,
            smtp.port,
            {slug: state.ledger(a).administration for slug, a in administrations.items()},
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
            administrations=administrations,
        )
        if connect:
            for slug in slugs:
                world.connect(slug)
        return world

    def connect(self, slug: str) -> None:
        """Store a token as `dunning auth login` would after consent."""
        token = demo_tokens(self.state, self.info)
        now = self.clock.now()
        self.app.tokens.put_initial(
            slug,
            "default",
            "moneybird",
            refresh_token=token.refresh,
            access_token=token.access,
            # as the login stores it: an hour when Moneybird's answer gives no expires_in
            expires_at=token.expires_at or now + timedelta(hours=1),
            now=now,
        )

    def close(self) -> None:
        self.server.stop()
        self.smtp.stop()
        self.app.engine.dispose()

    def administration(self, slug: str = "demo") -> str:
        return self.administrations[slug]

    # -- what the demo asks of a platform -------------------------------------------------
    def payments(self, seed: int) -> Callable[[date], object]:
        return PaymentSimulator(self.state, self.administration(), seed).simulate_day

    def ledger_size(self) -> tuple[int, int]:
        ledger = self.state.ledger(self.administration())
        return len(ledger.contacts), len(ledger.invoices)

    def demo_headline(self, start: date, days: int) -> str:
        customers, invoices = self.ledger_size()
        return (
            f"demo (Moneybird): {days} days from {start} against the sandbox "
            f"({customers} customers, {invoices} sales invoices)"
        )

    def demo_facts(self) -> list[str]:
        adm = self.administration()
        ours = self.state.reminders(adm, by="api")
        own = self.own_reminders_after(self.started_at)
        ledger = self.state.ledger(adm)
        return [
            f"reminders Moneybird sent for us: {len(ours)} "
            f"({sum(len(r.sales_invoice_ids) for r in ours)} invoices)",
            f"reminders Moneybird's own workflow sent while the connector ran: {len(own)}",
            f"invoices paused in Moneybird: {sum(1 for i in ledger.invoices.values() if i.paused)}",
            f"notes and to-dos in Moneybird: {len(ledger.notes)}",
            f"mails caught by the SMTP server: {len(self.smtp.mails)}",
        ]

    @property
    def started_at(self) -> datetime:
        """When the connector first ran in this world (now, if it has not)."""
        return self.first_run or self.clock.now()

    def run(self, slug: str = "demo", at: datetime | None = None, **kwargs: Any) -> RunResult:
        result = super().run(slug, at, **kwargs)
        if self.first_run is None:
            self.first_run = self.clock.now()
        return result

    def own_reminders_after(self, moment: datetime) -> list[str]:
        """Reminders Moneybird's own workflow sent after `moment`, in words."""
        adm = self.administration()
        ledger = self.state.ledger(adm)
        zone = ZoneInfo(ZONE)
        return [
            f"{r.at.astimezone(zone):%Y-%m-%d} Moneybird's own reminder to "
            f"{_name(self, r.contact_id)} for invoice "
            + ", ".join(str(ledger.invoices[i].invoice_id) for i in r.sales_invoice_ids)
            for r in self.state.reminders(adm, by="workflow")
            if r.at >= moment
        ]

    def mails_after_payment(self) -> list[str]:
        adm = self.administration()
        ledger = self.state.ledger(adm)
        zone = ZoneInfo(ZONE)
        bad = []
        for r in self.state.reminders(adm, by="api"):
            for invoice_id in r.sales_invoice_ids:
                invoice = ledger.invoices[invoice_id]
                day = r.at.astimezone(zone).date()
                paid = sum((p.price for p in invoice.payments if p.payment_date < day), start=0)
                if paid >= invoice.total:
                    bad.append(
                        f"{day} reminder to {_name(self, r.contact_id)} for invoice "
                        f"{invoice.invoice_id} which was already paid"
                    )
        return bad


def _name(world: MoneybirdWorld, contact_id: str) -> str:
    contact = world.state.ledger(world.administration()).contacts[contact_id]
    return contact.company_name or f"{contact.firstname} {contact.lastname}".strip()


#: `SandboxWorld.create(platform="moneybird")` builds this
World = MoneybirdWorld


def write_config(
    config_dir: Path,
    sandbox_url: str,
    smtp_port: int,
    administrations: dict[str, Administration],
    database_url: str,
    overrides: dict[str, str],
) -> None:
    """connector.yaml and one clients/<slug>.yaml per administration, pointing at the sandbox
    and mailing through the SMTP server on `smtp_port`."""
    (config_dir / "clients").mkdir(parents=True, exist_ok=True)
    (config_dir / "connector.yaml").write_text(
        f"database_url: {json.dumps(database_url)}\n"
        f"timezone: {ZONE}\n"
        'sending_window: "08:00-17:00"\n'
        "full_reconcile_every_hours: 24\n"
    )
    for slug, adm in administrations.items():
        (config_dir / "clients" / f"{slug}.yaml").write_text(
            f"display_name: Demo Schilderwerken B.V. ({slug})\n"
            "platform: moneybird\n"
            "moneybird:\n"
            f'  administration_id: "{adm.id}"\n'
            "  client_id: ${MONEYBIRD_CLIENT_ID}\n"
            "  client_secret: ${MONEYBIRD_CLIENT_SECRET}\n"
            f"  api_url: {sandbox_url}\n"
            f"  accounts_url: {sandbox_url}\n"
            "mail:\n"
            "  smtp_host: 127.0.0.1\n"
            f"  smtp_port: {smtp_port}\n"
            f"  from: {SENDER}\n"
            "  starttls: false\n"
            "policy: nl-b2b-standard\n"
            "language: nl\n"
            f"sender: {{name: Demo Schilderwerken B.V., email: {SENDER}, "
            'phone: "+31 30 123 4567", iban: NL91ABNA0417164300, bic: ABNANL2A}\n'
            + overrides.get(slug, "")
        )


__all__ = ["MoneybirdWorld", "World"]
