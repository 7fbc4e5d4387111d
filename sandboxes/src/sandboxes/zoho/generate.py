"""Deterministic demo data and customers who pay (or not) the way real ones do.

Zoho sends the reminder mails itself, so the sandbox knows which mails reached a customer:
`PaymentSimulator.simulate_day` reads them from `state.sent_mails` unless told otherwise, and
customers whose habit is to wait for a reminder pay a few days after the first (or second) one.
The habit names are the Exact sandbox's, so demos and benchmarks compare like with like.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sandboxes.kit.habits import HABIT_WEIGHTS, Installment, installments
from sandboxes.kit.habits import HABITS as HABITS
from sandboxes.zoho.state import (
    ALL_SCOPES,
    Invoice,
    OrgData,
    TokenSet,
    ZohoState,
)

_HABIT_WEIGHTS = HABIT_WEIGHTS

DEMO_CLIENT_ID = "1000.SANDBOXDEMO7Q2K9X4M1Z8W3R5T6Y"
DEMO_CLIENT_SECRET = "sandbox-zoho-secret-4f9a1c07"  # noqa: S105 - a fake, printed on purpose
DEMO_REDIRECT_URI = "http://127.0.0.1:8765/callback"
DEMO_ORG = "20099887766"
DEMO_ORG_NAME = "Demo Installatietechniek B.V."
DEMO_USER_EMAIL = "boekhouding@demo-installatie.example"
BULK_ORG = "20011112222"

_PREFIXES = (
    "Bakkerij",
    "Installatiebedrijf",
    "Autobedrijf",
    "Drukkerij",
    "Transport",
    "Bouwbedrijf",
    "Schildersbedrijf",
    "Hoveniersbedrijf",
    "Adviesbureau",
    "Groothandel",
    "Kapsalon",
    "Café",
    "Dakdekker",
    "Loodgieter",
    "Tandartspraktijk",
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
    "van Leeuwen",
    "Dekker",
    "Brouwer",
)
_FIRST = (
    "Anna",
    "Bram",
    "Daan",
    "Emma",
    "Fleur",
    "Joost",
    "Lotte",
    "Mark",
    "Noor",
    "Pieter",
    "Sanne",
    "Tim",
    "Yara",
    "Kees",
    "Ingrid",
)


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


@dataclass(frozen=True)
class DemoInfo:
    client_id: str
    client_secret: str
    redirect_uri: str
    user_id: str
    organization_id: str
    contacts: tuple[str, ...]
    invoices: tuple[str, ...]


Payment = Installment
MailsSeen = Callable[[str], list[date]]


def _local(od: OrgData, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), od.org.zone)


class PaymentSimulator:
    """Customers of one organisation paying according to their habit, one day at a time.

    Each invoice gets its own random stream (seeded by `seed` and its id), so the outcome does not
    depend on the order of calls; installments already booked are read from the invoice, so a
    seeded history and later simulated days fit together.
    """

    def __init__(self, state: ZohoState, organization_id: str, seed: int = 0) -> None:
        self.state = state
        self.organization_id = organization_id
        self.seed = seed

    def schedule(self, inv: Invoice, habit: str, mails: list[date]) -> list[Payment]:
        """The (date, amount) installments this customer pays, given the reminders seen so far."""
        rng = random.Random(f"{self.seed}:{inv.invoice_id}")
        return installments(habit, rng, inv.invoice_date, inv.due_date, inv.total, mails)

    def reminders_to(self, contact_id: str) -> list[date]:
        """Local dates of the payment reminders Zoho sent to this customer (the outbox)."""
        od = self.state.data(self.organization_id)
        return [od.today(m.at) for m in self.state.mails("payment_reminder", contact_id)]

    def simulate_day(
        self, day: date, mails_seen: MailsSeen | None = None
    ) -> list[tuple[str, Decimal]]:
        """Book every installment due on or before `day` that is not booked yet.

        `mails_seen(email)` gives the dates reminder mails reached that address; by default the
        sandbox's own outbox (`state.sent_mails`) answers, per customer.
        """
        paid: list[tuple[str, Decimal]] = []
        with self.state.lock:
            od = self.state.data(self.organization_id)
            open_invoices = [
                i
                for i in od.invoices.values()
                if i.state == "sent" and i.balance > 0 and i.invoice_date <= day
            ]
            open_invoices.sort(key=lambda i: (i.invoice_date, i.invoice_number))
            for inv in open_invoices:
                contact = od.contacts.get(inv.customer_id)
                if contact is None:
                    continue
                mails = (
                    mails_seen(contact.email)
                    if mails_seen is not None
                    else self.reminders_to(contact.contact_id)
                )
                plan = self.schedule(inv, contact.habit or "on_time", mails)
                for when, amount in plan[len(inv.payment_ids) :]:
                    if when > day:
                        break
                    pay = min(amount, inv.balance)
                    if pay <= 0:
                        break
                    self.state.record_payment(self.organization_id, inv.invoice_id, pay, day)
                    paid.append((inv.invoice_id, pay))
        return paid


def _ensure_client_and_user(state: ZohoState, organization_id: str, email: str) -> str:
    if DEMO_CLIENT_ID not in state.clients:
        state.add_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [DEMO_REDIRECT_URI])
    for user in state.users.values():
        if user.email == email:
            if organization_id not in user.organization_ids:
                user.organization_ids.append(organization_id)
            return user.user_id
    return state.add_user(email, [organization_id], name="Demo Boekhouder").user_id


def seed_demo(
    state: ZohoState,
    seed: int = 42,
    customers: int = 40,
    invoices: int = 150,
    history_days: int = 90,
    organization_id: str = DEMO_ORG,
) -> DemoInfo:
    """One organisation (EUR, Europe/Amsterdam, Professional plan), `customers` customers with
    e-mail addresses and payment habits, `invoices` invoices over the last `history_days`, and
    what they already paid: paid, open not yet due, overdue of various ages, partially paid, two
    drafts (the newest) and two voided. Past payments assume reminders 7 and 21 days after the
    due date."""
    rng = random.Random(seed)
    with state.lock:
        state.add_organization(
            organization_id, DEMO_ORG_NAME, contact_name="Demo Boekhouder", email=DEMO_USER_EMAIL
        )
        user_id = _ensure_client_and_user(state, organization_id, DEMO_USER_EMAIL)
        od = state.data(organization_id)
        now = state.now().replace(microsecond=0)
        today = od.today(now)
        habits = [h for h, w in zip(HABITS, _HABIT_WEIGHTS, strict=True) for _ in range(w)]
        rng.shuffle(habits)
        contact_ids: list[str] = []
        used: set[str] = set()
        for n in range(customers):
            name = f"{rng.choice(_PREFIXES)} {rng.choice(_NAMES)}"
            while name in used:
                name = f"{name} {rng.randint(2, 99)}"
            used.add(name)
            individual = rng.random() < 0.1
            contact = state.add_contact(
                organization_id,
                name if individual else f"{name} B.V.",
                email=f"administratie@{_slug(name)}.example",
                first_name=rng.choice(_FIRST),
                last_name=rng.choice(_NAMES),
                sub_type="individual" if individual else "business",
                language_code="en" if rng.random() < 0.15 else "nl",
                payment_terms=rng.choice((14, 30, 30, 30)),
                habit=habits[n % len(habits)],
                created=now - timedelta(days=rng.randint(history_days + 30, 900)),
            )
            contact_ids.append(contact.contact_id)
        plans = []
        for k in range(invoices):
            customer = contact_ids[k % customers] if k < customers else rng.choice(contact_ids)
            invoice_date = today - timedelta(days=rng.randint(0, history_days))
            amount = Decimal(rng.randint(9_500, 450_000)) / 100
            plans.append((invoice_date, rng.randint(0, 8 * 60), customer, amount))
        plans.sort(key=lambda p: (p[0], p[1]))
        invoice_ids: list[str] = []
        for index, (invoice_date, minute, customer, amount) in enumerate(plans):
            created = min(_local(od, invoice_date, 9) + timedelta(minutes=minute), now)
            terms = od.contacts[customer].payment_terms
            inv = state.add_invoice(
                organization_id,
                customer,
                amount,
                invoice_date,
                invoice_date + timedelta(days=terms),
                status="draft" if index >= len(plans) - 2 else "sent",
                created=created,
            )
            invoice_ids.append(inv.invoice_id)

        simulator = PaymentSimulator(state, organization_id, seed)
        for invoice_id in invoice_ids:
            inv = od.invoices[invoice_id]
            if inv.state != "sent":
                continue
            contact = od.contacts[inv.customer_id]
            past = [
                d
                for d in (inv.due_date + timedelta(days=7), inv.due_date + timedelta(days=21))
                if d < today
            ]
            for when, amount in simulator.schedule(inv, contact.habit or "on_time", past):
                if when >= today or when < inv.invoice_date:
                    break
                at = min(_local(od, when, 10, rng.randint(0, 59)), now)
                state.record_payment(
                    organization_id, invoice_id, min(amount, inv.balance), when, at=at
                )
        unpaid = [
            i
            for i in invoice_ids
            if od.invoices[i].state == "sent"
            and not od.invoices[i].payment_ids
            and od.invoices[i].invoice_date < today - timedelta(days=10)
        ]
        for invoice_id in rng.sample(unpaid, min(2, len(unpaid))):
            inv = state.void_invoice(organization_id, invoice_id)
            inv.last_modified_time = min(_local(od, inv.invoice_date + timedelta(days=3), 11), now)
            inv.comments[-1].at = inv.last_modified_time
        return DemoInfo(
            DEMO_CLIENT_ID,
            DEMO_CLIENT_SECRET,
            DEMO_REDIRECT_URI,
            user_id,
            organization_id,
            tuple(contact_ids),
            tuple(invoice_ids),
        )


def demo_tokens(
    state: ZohoState,
    info: DemoInfo | None = None,
    scopes: tuple[str, ...] = ALL_SCOPES,
    api_domain: str = "",
) -> TokenSet:
    """A refresh token and a live access token for the demo client (created if missing) and the
    demo user (or the first user): what a finished consent would have stored."""
    with state.lock:
        if DEMO_CLIENT_ID not in state.clients:
            state.add_client(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [DEMO_REDIRECT_URI])
        client_id = info.client_id if info is not None else DEMO_CLIENT_ID
        user_id = info.user_id if info is not None else None
        return state.issue_tokens_for_tests(client_id, user_id, scopes, api_domain)


@dataclass
class BulkLedger:
    state: ZohoState
    organization_id: str
    contact_ids: list[str]
    invoice_ids: list[str]
    user_id: str
    seed: int = 0

    def touch_share(self, fraction: float = 0.01, now: datetime | None = None) -> list[str]:
        return touch_share(self.state, fraction, now, self.organization_id, self.seed)


def bulk_ledger(
    state: ZohoState,
    n_invoices: int = 50_000,
    n_customers: int = 2_500,
    seed: int = 0,
    organization_id: str = BULK_ORG,
    paid_share: float = 0.6,
    history_days: int = 365,
) -> BulkLedger:
    """A big ledger for benchmarks: `n_customers` customers, `n_invoices` invoices over the last
    `history_days`, `paid_share` of them paid in full (with a payment record each). The demo
    client and a user for the organisation are provisioned so `demo_tokens` works."""
    rng = random.Random(seed)
    with state.lock:
        state.add_organization(organization_id, f"Bulk {organization_id} B.V.")
        email = f"bench@{organization_id}.example"
        user_id = _ensure_client_and_user(state, organization_id, email)
        od = state.data(organization_id)
        now = state.now().replace(microsecond=0)
        today = od.today(now)
        contact_ids = [
            state.add_contact(
                organization_id,
                f"Klant {n:05d} B.V.",
                email=f"klant{n:05d}@bulk.example",
                first_name="Klant",
                last_name=f"{n:05d}",
                habit=HABITS[n % len(HABITS)],
                created=now - timedelta(days=history_days + 1) + timedelta(seconds=n),
            ).contact_id
            for n in range(n_customers)
        ]
        # Edits are spread over past working days (none piles up at "now"), as in a real ledger:
        # an incremental sync then fetches what changed since, not an artificial crowd.
        days = sorted(rng.randint(1, history_days) for _ in range(n_invoices))[::-1]
        invoice_ids: list[str] = []
        for n, ago in enumerate(days):
            invoice_date = today - timedelta(days=ago)
            created = _local(od, invoice_date, 9) + timedelta(seconds=n % 28_000)
            inv = state.add_invoice(
                organization_id,
                contact_ids[n % n_customers],
                Decimal(rng.randint(1_000, 500_000)) / 100,
                invoice_date,
                invoice_date + timedelta(days=30),
                created=created,
            )
            invoice_ids.append(inv.invoice_id)
            paid_on = invoice_date + timedelta(days=rng.randint(1, 40))
            if rng.random() < paid_share and paid_on < today:
                state.record_payment(
                    organization_id,
                    inv.invoice_id,
                    inv.total,
                    paid_on,
                    at=_local(od, paid_on, 10) + timedelta(seconds=n % 20_000),
                )
    return BulkLedger(state, organization_id, contact_ids, invoice_ids, user_id, seed)


def touch_share(
    state: ZohoState,
    fraction: float = 0.01,
    now: datetime | None = None,
    organization_id: str | None = None,
    seed: int = 0,
) -> list[str]:
    """Bump ``last_modified_time`` (to `now`, default the state's clock) of a deterministic
    `fraction` of an organisation's invoices, so an incremental sync has something to fetch.
    Successive calls pick different invoices (the organisation counts its touches)."""
    with state.lock:
        org_id = organization_id or next(iter(state.orgs))
        od = state.data(org_id)
        rng = random.Random(f"{seed}:touch:{od.touches}")
        od.touches += 1
        ids = list(od.invoices)
        count = min(len(ids), max(1, round(len(ids) * fraction))) if ids else 0
        chosen = rng.sample(ids, count)
        for invoice_id in chosen:
            state.touch_invoice(org_id, invoice_id, now)
        return chosen


def seed_small_org(state: ZohoState, organization_id: str, seed: int) -> DemoInfo:
    """A small organisation (3 customers, 6 invoices) with a user of its own, for worlds of many
    clients (load benchmarks, worker tests): Zoho caps the refresh tokens of one user at 20, so
    a shared user would run out of them."""
    info = seed_demo(state, seed=seed, customers=3, invoices=6, organization_id=organization_id)
    user = state.add_user(f"boekhouding@{organization_id}.example", [organization_id])
    return dataclasses.replace(info, user_id=user.user_id)
