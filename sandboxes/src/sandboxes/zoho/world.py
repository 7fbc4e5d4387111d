"""The Zoho Books sandbox world: the fake Zoho on loopback (accounts server and API domain on one
URL) and a connector configured with ``accounts_url``/``api_url`` overrides pointing at it.

Zoho sends the reminders itself (the connector asks it to email the invoice), so the fake's
sent-mail log is where the demo looks for a reminder that reached a customer after they paid.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import ClassVar, Self
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet

from connector.app import App
from connector.domain.clock import ManualClock
from sandboxes.kit.server import LoopbackServer
from sandboxes.world import ZONE, SandboxWorld
from sandboxes.zoho.app import ZohoRouter, make_app
from sandboxes.zoho.generate import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_ORG,
    DemoInfo,
    PaymentSimulator,
    demo_tokens,
    seed_demo,
)
from sandboxes.zoho.state import Limits, ZohoState

#: the sandbox mails that remind a customer of an open invoice
REMINDER_MAIL_KINDS = ("payment_reminder", "statement")


@dataclass
class WorldClient:
    slug: str
    organization_id: str
    info: DemoInfo | None = None


@dataclass
class ZohoWorld(SandboxWorld):
    """The Zoho sandbox on loopback plus a connector configured against it; one organisation
    per client."""

    platform: ClassVar[str] = "zoho"
    label: ClassVar[str] = "Zoho Books"

    state: ZohoState
    router: ZohoRouter
    clients: dict[str, WorldClient]

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
        populate: Callable[[ZohoState, str, int], DemoInfo | None] | None = None,
        connect: bool = True,
        client_overrides: dict[str, str] | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> Self:
        """`populate(state, organization_id, seed)` fills each client's organisation; the
        default is the demo ledger (about 40 customers, 150 invoices)."""
        root.mkdir(parents=True, exist_ok=True)
        clock = ManualClock(start)
        state = ZohoState(clock.now, limits)
        router = make_app(state)
        server = LoopbackServer(router).start()
        fill = populate or (lambda st, org, s: seed_demo(st, seed=s, organization_id=org))
        clients: dict[str, WorldClient] = {}
        for n, slug in enumerate(slugs):
            org = str(int(DEMO_ORG) + n)
            clients[slug] = WorldClient(slug, org, fill(state, org, seed + n))
        env = {
            "ZOHO_CLIENT_ID": DEMO_CLIENT_ID,
            "ZOHO_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
        }
        env.update(extra_env or {})
        config_dir = root / "config"
        write_config(
            config_dir,
            server.url,
            clients.values(),
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
            clients=clients,
        )
        if connect:
            for slug in clients:
                world.connect(slug)
        return world

    def connect(self, slug: str) -> None:
        """Store a token for the client, as `dunning auth login` would after consent."""
        info = self.clients[slug].info
        tokens = demo_tokens(self.state, info)
        assert tokens.refresh_token is not None
        now = self.clock.now()
        self.app.tokens.put_initial(
            slug,
            "default",
            "zoho",
            refresh_token=tokens.refresh_token,
            access_token=tokens.access_token,
            expires_at=now + timedelta(seconds=tokens.expires_in),
            now=now,
        )

    def organization(self, slug: str = "demo") -> str:
        return self.clients[slug].organization_id

    # -- what the demo asks of a platform -------------------------------------------------
    def payments(self, seed: int) -> Callable[[date], object]:
        return PaymentSimulator(self.state, self.organization(), seed).simulate_day

    def ledger_size(self) -> tuple[int, int]:
        od = self.state.data(self.organization())
        return len(od.contacts), len(od.invoices)

    def demo_headline(self, start: date, days: int) -> str:
        customers, invoices = self.ledger_size()
        return (
            f"demo: {days} days from {start} against the sandbox ({customers} customers, "
            f"{invoices} invoices)"
        )

    def demo_facts(self) -> list[str]:
        return [f"mails Zoho sent for us: {len(self.state.mails())}"]

    def mails_after_payment(self) -> list[str]:
        org = self.organization()
        od = self.state.data(org)
        zone = ZoneInfo(ZONE)
        return [
            f"{m.at.astimezone(zone):%Y-%m-%d %H:%M} {m.kind} to "
            f"{od.contacts[m.contact_id].contact_name} for invoice "
            f"{od.invoices[i].invoice_number} which was already paid"
            for m in sorted(self.state.mails(), key=lambda m: m.at)
            if m.kind in REMINDER_MAIL_KINDS
            for i in m.invoice_ids
            if self._paid_before(org, i, m.at)
        ]

    def _paid_before(self, org: str, invoice_id: str, moment: datetime) -> bool:
        od = self.state.data(org)
        inv = od.invoices.get(invoice_id)
        if inv is None:
            return False
        paid = sum(
            (
                a
                for p in od.payments.values()
                if p.created_time <= moment
                for i, a in p.applied
                if i == invoice_id
            ),
            Decimal(0),
        )
        return paid >= inv.total


#: `SandboxWorld.create(platform="zoho")` builds this
World = ZohoWorld


def write_config(
    config_dir: Path,
    sandbox_url: str,
    clients: Iterable[WorldClient],
    database_url: str,
    overrides: dict[str, str],
) -> None:
    """connector.yaml and one clients/<slug>.yaml per client, pointing at the sandbox."""
    (config_dir / "clients").mkdir(parents=True, exist_ok=True)
    (config_dir / "connector.yaml").write_text(
        f"database_url: {json.dumps(database_url)}\n"
        f"timezone: {ZONE}\n"
        'sending_window: "08:00-17:00"\n'
        "full_reconcile_every_hours: 24\n"
    )
    for client in clients:
        (config_dir / "clients" / f"{client.slug}.yaml").write_text(
            f"display_name: Demo Installatietechniek B.V. ({client.slug})\n"
            "platform: zoho\n"
            "zoho:\n"
            "  data_center: eu\n"
            f'  organization_id: "{client.organization_id}"\n'
            "  client_id: ${ZOHO_CLIENT_ID}\n"
            "  client_secret: ${ZOHO_CLIENT_SECRET}\n"
            f"  accounts_url: {sandbox_url}\n"
            f"  api_url: {sandbox_url}\n"
            "policy: nl-b2b-standard\n"
            "language: nl\n"
            "sender: {name: Demo Installatietechniek B.V., email: debiteuren@demo.example, "
            'phone: "+31 20 123 4567", iban: NL91ABNA0417164300, bic: ABNANL2A}\n'
            + overrides.get(client.slug, "")
        )
