"""`dunning demo`, and the sandbox world the end-to-end tests and benchmarks run in.

`SandboxWorld` starts the bundled fake Zoho Books on loopback, writes a real configuration
directory pointing at it (accounts and API URL overrides, `${ENV}` secrets), opens the real
`App` on SQLite (or a given database URL) and stores a token as a finished consent would. Time
is one `ManualClock` shared by the sandbox and the connector: a simulated day is `clock.set`,
and rate-limit waits advance it instead of sleeping.

The demo runs the connector once per simulated day (09:00 local) for 90 days while the
sandbox's customers pay according to their habits, and writes an HTML report and a console
summary of what was sent to whom and when, checking that no reminder went to a customer after
they paid.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Self
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet

from connector.app import App
from connector.clock import ManualClock
from connector.report.story import KIND_LABELS
from connector.run import RunResult, run_tenant
from connector.store import outbox
from connector.store.db import session_scope
from connector.tenant import Tenant
from sandboxes.kit.server import LoopbackServer
from sandboxes.zoho import Limits, ZohoRouter, ZohoState, make_app
from sandboxes.zoho.generate import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_ORG,
    DemoInfo,
    PaymentSimulator,
    demo_tokens,
    seed_demo,
)

ZONE = "Europe/Amsterdam"
REMINDER_MAIL_KINDS = ("payment_reminder", "statement")


def local_moment(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(ZONE))


class DrivesConnector:
    """What a sandbox world offers tests, demos and benches: build a client's tenant once, run
    it as of a moment on the world's clock, read its outbox. Needs `app`, `clock`, `_tenants`
    and a `close()`."""

    app: App
    clock: ManualClock
    _tenants: dict[str, Tenant]

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def tenant(self, slug: str = "demo") -> Tenant:
        if slug not in self._tenants:
            self._tenants[slug] = self.app.tenant(slug, self.clock)
        return self._tenants[slug]

    def reload(self) -> None:
        """Forget built tenants (after a config or token change)."""
        self._tenants.clear()

    def run(self, slug: str = "demo", at: datetime | None = None, **kwargs: Any) -> RunResult:
        if at is not None:
            self.clock.set(at)
        return run_tenant(self.tenant(slug), self.clock, **kwargs)

    def actions(self, slug: str = "demo", status: str | None = None) -> list[dict[str, Any]]:
        with session_scope(self.app.engine) as session:
            return outbox.actions(session, slug, status=status)


@dataclass
class WorldClient:
    slug: str
    organization_id: str
    info: DemoInfo | None = None


@dataclass
class SandboxWorld(DrivesConnector):
    """A sandbox ledger on loopback plus a connector configured against it."""

    root: Path
    clock: ManualClock
    state: ZohoState
    router: ZohoRouter
    server: LoopbackServer
    app: App
    clients: dict[str, WorldClient]
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
        populate: Callable[[ZohoState, str, int], DemoInfo | None] | None = None,
        connect: bool = True,
        client_overrides: dict[str, str] | None = None,
    ) -> SandboxWorld:
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
        config_dir = root / "config"
        write_config(
            config_dir,
            server.url,
            clients.values(),
            database_url or f"sqlite:///{root / 'dunning.db'}",
            client_overrides or {},
        )
        app = App.open(config_dir, env)
        world = cls(root, clock, state, router, server, app, clients, env)
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

    def close(self) -> None:
        self.server.stop()
        self.app.engine.dispose()

    def organization(self, slug: str = "demo") -> str:
        return self.clients[slug].organization_id


def write_config(
    config_dir: Path,
    sandbox_url: str,
    clients: Any,
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


# -- the demo ----------------------------------------------------------------------------
@dataclass
class DemoResult:
    report: Path
    summary: list[str]
    mails_after_payment: list[str]
    sent_by_kind: Counter[str]


def run_demo(
    out: Path,
    *,
    days: int = 90,
    seed: int = 7,
    start: date | None = None,
    echo: Callable[[str], object] = print,
) -> Path:
    return simulate(out, days=days, seed=seed, start=start, echo=echo).report


def simulate(
    out: Path,
    *,
    days: int = 90,
    seed: int = 7,
    start: date | None = None,
    echo: Callable[[str], object] = print,
    language: str | None = None,
) -> DemoResult:
    """Run the demo; the report is in `language` (nl or en; default: the client's)."""
    from connector import demo_folder

    start = start or date(2026, 1, 5)
    out = demo_folder.prepare(out)  # clean, absolute; refuses a folder with others' files
    with SandboxWorld.create(
        out,
        start=local_moment(start, 8),
        seed=seed,
        database_url=f"sqlite:///{out / 'demo.db'}",
    ) as world:
        payer = PaymentSimulator(world.state, world.organization(), seed)
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
            payer.simulate_day(day)
        from connector.samples import write_samples  # issue #4: one sample of each PDF

        samples = write_samples(world.app, "demo", start + timedelta(days=days), out / "samples")
        outcome = build_report(world, start, days, out, samples=samples, language=language)
        for path in samples:
            outcome.summary.append(f"sample: {path}")
        for line in outcome.summary:
            echo(line)
        if failures:
            echo(f"{failures} runs failed")
        demo_folder.finish(out)
        return outcome


def _paid_before(state: ZohoState, org: str, invoice_id: str, moment: datetime) -> bool:
    od = state.data(org)
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


def build_report(
    world: SandboxWorld,
    start: date,
    days: int,
    out: Path,
    *,
    samples: Sequence[Path] = (),
    language: str | None = None,
) -> DemoResult:
    org = world.organization()
    od = world.state.data(org)
    zone = ZoneInfo(ZONE)
    mails = sorted(world.state.mails(), key=lambda m: m.at)
    actions = world.actions("demo")
    bad = [
        f"{m.at.astimezone(zone):%Y-%m-%d %H:%M} {m.kind} to "
        f"{od.contacts[m.contact_id].contact_name} for invoice "
        f"{od.invoices[i].invoice_number} which was already paid"
        for m in mails
        if m.kind in REMINDER_MAIL_KINDS
        for i in m.invoice_ids
        if _paid_before(world.state, org, i, m.at)
    ]
    sent_by_kind: Counter[str] = Counter(a["kind"] for a in actions if a["status"] == "sent")
    statuses: Counter[str] = Counter(a["status"] for a in actions)
    summary = [
        f"demo: {days} days from {start} against the sandbox ({len(od.contacts)} customers, "
        f"{len(od.invoices)} invoices)",
        "actions done: "
        + (
            ", ".join(
                f"{KIND_LABELS['en'].get(k, k).lower()} {v}"
                for k, v in sorted(sent_by_kind.items())
            )
            or "none"
        ),
        "outbox: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        f"mails Zoho sent for us: {len(mails)}",
        f"reminders to a customer after they paid: {len(bad)}",
    ]
    report = out / "report.html"
    lang = language or world.app.config.clients["demo"].language
    report.write_text(
        demo_page(world, start, days, out, samples, lang, len(od.contacts), len(od.invoices), bad),
        encoding="utf-8",
    )
    summary.append(f"report: {report}")
    return DemoResult(report, summary, bad, sent_by_kind)


SAMPLE_LABELS = {
    "nl": {
        "statement.pdf": "Rekeningoverzicht",
        "notice_of_default.pdf": "Ingebrekestelling",
        "fourteen_day_letter.pdf": "Veertiendagenbrief",
        "handoff_dossier.pdf": "Incassodossier",
        "handoff_dossier.csv": "Incassodossier (CSV)",
    },
    "en": {
        "statement.pdf": "Statement of account",
        "notice_of_default.pdf": "Notice of default",
        "fourteen_day_letter.pdf": "Fourteen-day letter",
        "handoff_dossier.pdf": "Collection dossier",
        "handoff_dossier.csv": "Collection dossier (CSV)",
    },
}


def demo_page(
    world: DrivesConnector,
    start: date,
    days: int,
    out: Path,
    samples: Sequence[Path],
    language: str,
    customers: int,
    invoices: int,
    bad: list[str],
    platform: str = "Zoho Books",
) -> str:
    """The demo's report: the client report (KPIs, ageing, DSO, charts), the links to the
    sample PDFs and the day-by-day story in plain words."""
    from connector.report import client_report
    from connector.report.render import render_html
    from connector.report.story import story

    now = world.clock.now()
    report = client_report(world.app, "demo", now, period_days=days)
    end = start + timedelta(days=days - 1)
    labels = SAMPLE_LABELS.get(language, SAMPLE_LABELS["en"])
    links = [
        (labels.get(p.name, p.name), p.relative_to(out).as_posix())
        for p in samples
        if p.is_relative_to(out)
    ]
    if language == "nl":
        intro = (
            f"{days} gesimuleerde dagen tegen de meegeleverde {platform}-sandbox "
            f"({customers} klanten, {invoices} facturen); er is niets buiten deze machine "
            "verstuurd."
        )
        footer = (
            f"Herinneringen aan een klant die al betaald had: {len(bad)}. Elke stap gaat via "
            "de outbox, dus niets gaat twee keer uit."
        )
    else:
        intro = (
            f"{days} simulated days against the bundled {platform} sandbox ({customers} "
            f"customers, {invoices} invoices); nothing left this machine."
        )
        footer = (
            f"Reminders to a customer who had already paid: {len(bad)}. Every step goes "
            "through the outbox, so nothing goes out twice."
        )
    return render_html(
        report,
        language=language,
        story=story(world.app.engine, "demo", ZONE, start, end, language),
        samples=links,
        intro=intro,
        footer=footer,
    )
