"""Deterministic demo data for the fake Moneybird, and customers who pay the way real ones do.

Moneybird sends the reminders itself (``send_reminders``, or its own workflow), so the reminders
the fake recorded are the mails a customer has seen: customers whose habit is to wait for a
reminder pay a few days after one. The habits are the ones every sandbox uses (kit.habits).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sandboxes.kit.habits import HABIT_WEIGHTS, HABITS, Installment, installments
from sandboxes.moneybird.state import REMINDABLE, MoneybirdState, SalesInvoice, Token

DEMO_CLIENT_ID = "9a833de2d13b07dfdfb50a8124b148d8"
DEMO_CLIENT_SECRET = "sandbox-secret-mb-4Kx9"  # noqa: S105 - a fake, printed on purpose
DEMO_REDIRECT_URI = "http://127.0.0.1:8765/callback"
DEMO_ADMINISTRATIONS = ("Demo Schilderwerken B.V.", "Demo Vastgoed B.V.")

_TRADES = (
    "Bakkerij",
    "Installatiebedrijf",
    "Autobedrijf",
    "Drukkerij",
    "Transport",
    "Bouwbedrijf",
    "Hoveniersbedrijf",
    "Adviesbureau",
    "Groothandel",
    "Kapsalon",
    "Dakdekker",
    "Fietsenmaker",
)
_NAMES = (
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Dijk",
    "Dekker",
)
_FIRST = ("Anna", "Bram", "Daan", "Emma", "Fleur", "Joost", "Lotte", "Mark", "Noor", "Sanne")
_CITIES = ("Utrecht", "Zwolle", "Delft", "Breda", "Groningen", "Arnhem", "Haarlem")
_STREETS = ("Stationsstraat", "Kerkweg", "Industrieweg", "Havenkade", "Marktplein", "Dorpsstraat")


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@dataclass(frozen=True)
class DemoInfo:
    client_id: str
    client_secret: str
    redirect_uri: str
    user_id: str
    administrations: tuple[str, ...]
    contacts: dict[str, list[str]]
    invoices: dict[str, list[str]]

    @property
    def administration_id(self) -> str:
        return self.administrations[0]


class PaymentSimulator:
    """Customers of one administration paying according to their habit, one day at a time.

    Each invoice gets its own random stream (seeded by `seed` and its id), so outcomes do not
    depend on the order of calls; payments already booked are read from the invoice."""

    def __init__(self, state: MoneybirdState, administration_id: str, seed: int = 0) -> None:
        self.state = state
        self.administration_id = administration_id
        self.seed = seed

    def mails_seen(self, contact_id: str) -> list[date]:
        """The days reminders reached this customer (by the API or Moneybird's workflow)."""
        zone = ZoneInfo(self.state.ledger(self.administration_id).administration.time_zone)
        return sorted(
            {
                r.at.astimezone(zone).date()
                for r in self.state.reminders(self.administration_id)
                if r.contact_id == contact_id
            }
        )

    def schedule(self, invoice: SalesInvoice, habit: str, mails: list[date]) -> list[Installment]:
        rng = random.Random(f"{self.seed}:{invoice.id}")
        return installments(
            habit, rng, invoice.invoice_date, invoice.due_date, invoice.total, mails
        )

    def simulate_day(self, day: date) -> list[tuple[str, Decimal]]:
        """Book every installment due on or before `day` that is not booked yet."""
        paid: list[tuple[str, Decimal]] = []
        with self.state.lock:
            ledger = self.state.ledger(self.administration_id)
            for invoice in list(ledger.invoices.values()):
                if invoice.state not in (*REMINDABLE, "pending_payment"):
                    continue
                if invoice.invoice_date > day:
                    continue
                contact = ledger.contacts[invoice.contact_id]
                plan = self.schedule(
                    invoice, contact.habit or "on_time", self.mails_seen(contact.id)
                )
                for when, amount in plan[len(invoice.payments) :]:
                    if when > day:
                        break
                    pay = min(amount, invoice.total_unpaid)
                    if pay <= 0:
                        break
                    self.state.record_payment(self.administration_id, invoice.id, pay, day)
                    paid.append((invoice.id, pay))
        return paid


def ensure_demo_app(state: MoneybirdState) -> None:
    if DEMO_CLIENT_ID not in state.apps:
        state.add_app(
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            [DEMO_REDIRECT_URI, "urn:ietf:wg:oauth:2.0:oob"],
        )


def seed_demo(
    state: MoneybirdState,
    seed: int = 42,
    administrations: int = 1,
    contacts: int = 40,
    history_days: int = 120,
) -> DemoInfo:
    """An OAuth application, a user with one or two administrations, ~40 Dutch customers per
    administration with payment habits, a few hundred sales invoices over the last
    `history_days` (some overdue), what they already paid, and a draft or two (never dunned)."""
    rng = random.Random(seed)
    ensure_demo_app(state)
    chosen = DEMO_ADMINISTRATIONS[: max(1, min(administrations, len(DEMO_ADMINISTRATIONS)))]
    adm_ids = [state.add_administration(name).id for name in chosen]
    today = state.local_day(adm_ids[0])
    user = state.add_user("Demo Boekhouder", adm_ids, "boekhouding@demo-schilderwerken.example")
    habits = [h for h, w in zip(HABITS, HABIT_WEIGHTS, strict=True) for _ in range(w)]
    contact_ids: dict[str, list[str]] = {}
    invoice_ids: dict[str, list[str]] = {}
    for index, adm in enumerate(adm_ids):
        count = contacts if index == 0 else max(1, contacts // 3)
        picked = habits[:]
        rng.shuffle(picked)
        contact_ids[adm], invoice_ids[adm] = [], []
        used: set[str] = set()
        for n in range(count):
            habit = picked[n % len(picked)]
            if n % 9 == 8:  # a consumer: no company name
                first, last = rng.choice(_FIRST), rng.choice(_NAMES)
                email = f"{_slug(first)}.{_slug(last)}{n}@mail.example"
                contact = state.add_contact(
                    adm, "", email, firstname=first, lastname=last, habit=habit
                )
            else:
                name = f"{rng.choice(_TRADES)} {rng.choice(_NAMES)}"
                while name in used:
                    name = f"{name} {rng.randint(2, 99)}"
                used.add(name)
                email = f"administratie@{_slug(name)}.example"
                contact = state.add_contact(
                    adm,
                    f"{name} B.V.",
                    email,
                    firstname=rng.choice(_FIRST),
                    lastname=rng.choice(_NAMES),
                    address1=f"{_STREETS[n % len(_STREETS)]} {n + 1}",
                    zipcode=f"{1000 + (n * 379) % 8999:04d} "
                    f"{'ABCDEGHJ'[n % 8]}{'KLMNPRST'[n // 8 % 8]}",
                    city=rng.choice(_CITIES),
                    habit=habit,
                )
            contact_ids[adm].append(contact.id)
            for _ in range(rng.randint(3, 8)):
                invoice_date = today - timedelta(days=rng.randint(0, history_days))
                days = rng.choice((14, 14, 30, 30))
                total = Decimal(rng.randint(9_500, 450_000)) / 100
                invoice = state.add_invoice(
                    adm,
                    contact.id,
                    total,
                    invoice_date,
                    invoice_date + timedelta(days=days),
                    reference=f"Werkzaamheden {invoice_date:%m-%Y}",
                )
                invoice_ids[adm].append(invoice.id)
        if contact_ids[adm]:  # a draft: in the ledger, never dunned
            state.add_invoice(adm, contact_ids[adm][0], "250.00", today, state="draft")
        simulator = PaymentSimulator(state, adm, seed)
        with state.lock:
            ledger = state.ledger(adm)
            for invoice_id in invoice_ids[adm]:
                invoice = ledger.invoices[invoice_id]
                contact = ledger.contacts[invoice.contact_id]
                # history: Moneybird's own workflow reminded 7 and 21 days after the due date
                mails = [
                    invoice.due_date + timedelta(days=d)
                    for d in state.limits.workflow_reminder_days
                    if invoice.due_date + timedelta(days=d) < today
                ]
                plan = simulator.schedule(invoice, contact.habit or "on_time", mails)
                for when, amount in plan:
                    if when >= today:
                        break
                    pay = min(amount, invoice.total_unpaid)
                    if pay > 0:
                        state.record_payment(adm, invoice.id, pay, when)
                if invoice.state in REMINDABLE:
                    invoice.reminder_count = len(mails)
                    if mails:
                        invoice.state = "reminded"
            ledger.checked_day = today  # the seeded history is as of today
    return DemoInfo(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        DEMO_REDIRECT_URI,
        user.id,
        tuple(adm_ids),
        contact_ids,
        invoice_ids,
    )


def demo_tokens(state: MoneybirdState, info: DemoInfo) -> Token:
    """A token for the demo user, as a finished consent gives it."""
    return state.issue_tokens_for_tests(info.client_id, info.user_id)


@dataclass
class BulkLedger:
    """A big administration for benchmarks, and a way to change a share of it between syncs."""

    state: MoneybirdState
    administration_id: str
    contact_ids: list[str]
    invoice_ids: list[str]
    seed: int = 0
    touches: int = 0

    def touch_share(self, share: float = 0.01) -> list[str]:
        """Change `share` of the sales invoices (paid in full, or a plain re-save when already
        paid) so an incremental sync has something to fetch; the ids changed."""
        self.touches += 1
        rng = random.Random(f"{self.seed}:touch:{self.touches}")
        count = max(1, round(len(self.invoice_ids) * share))
        chosen = rng.sample(self.invoice_ids, min(count, len(self.invoice_ids)))
        with self.state.lock:
            invoices = self.state.ledger(self.administration_id).invoices
            for invoice_id in chosen:
                invoice = invoices[invoice_id]
                if invoice.total_unpaid > 0 and invoice.state in REMINDABLE:
                    self.state.record_payment(
                        self.administration_id, invoice_id, invoice.total_unpaid
                    )
                else:
                    self.state.touch(self.administration_id, invoice_id)
        return chosen


def bulk_ledger(
    state: MoneybirdState,
    invoices: int = 50_000,
    contacts: int = 2_500,
    seed: int = 0,
    name: str = "Bulk Administratie B.V.",
) -> BulkLedger:
    """An administration with `contacts` customers and `invoices` sales invoices over the last
    year (for the sync benchmarks), reachable by the demo application's user."""
    rng = random.Random(seed)
    ensure_demo_app(state)
    adm = state.add_administration(name)
    if not state.users:
        state.add_user("Bulk Boekhouder", [adm.id])
    else:
        next(iter(state.users.values())).administrations.append(adm.id)
    today = state.local_day(adm.id)
    contact_ids: list[str] = []
    invoice_ids: list[str] = []
    with state.lock:
        for n in range(contacts):
            contact = state.add_contact(
                adm.id,
                f"Klant {n:05d} B.V.",
                f"klant{n:05d}@bulk.example",
                habit=HABITS[n % len(HABITS)],
            )
            contact_ids.append(contact.id)
        for n in range(invoices):
            invoice_date = today - timedelta(days=rng.randint(0, 365))
            invoice = state.add_invoice(
                adm.id,
                contact_ids[n % contacts],
                Decimal(rng.randint(1_000, 500_000)) / 100,
                invoice_date,
                invoice_date + timedelta(days=30),
            )
            invoice_ids.append(invoice.id)
        state.ledger(adm.id).checked_day = today
    return BulkLedger(state, adm.id, contact_ids, invoice_ids, seed)
