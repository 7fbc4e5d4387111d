"""Deterministic demo data and customers who pay (or not) the way real ones do.

Exact sends no mail: the connector mails reminders over SMTP. `PaymentSimulator` therefore asks a
callable for the dates reminder mails reached an account's e-mail address, and customers whose
habit is to wait for a reminder pay a few days after it.

The same habit names are used by the Zoho sandbox, so demos and benchmarks compare like with like.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sandboxes.exact.odata import AMSTERDAM
from sandboxes.exact.state import ExactState, PaymentTerm, TokenSet
from sandboxes.kit.habits import HABIT_WEIGHTS, Installment, installments
from sandboxes.kit.habits import HABITS as HABITS

_HABIT_WEIGHTS = HABIT_WEIGHTS

DEMO_CLIENT_ID = "b81cc4de-d192-400e-bcb4-09254394c52a"
DEMO_CLIENT_SECRET = "sandbox-secret-NL-7hQm2"  # noqa: S105 - a fake, printed on purpose
DEMO_REDIRECT_URI = "http://127.0.0.1:8765/callback"
DEMO_DIVISIONS = ((1234567, "Demo Installatietechniek B.V."), (1234568, "Demo Holding B.V."))

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
_STREETS = ("Stationsstraat", "Kerkweg", "Industrieweg", "Havenkade", "Marktplein", "Dorpsstraat")
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


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _slug(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def local_today(state: ExactState) -> date:
    return state.now().astimezone(AMSTERDAM).date()


@dataclass(frozen=True)
class DemoInfo:
    client_id: str
    client_secret: str
    redirect_uri: str
    user_id: str
    divisions: tuple[int, ...]
    accounts: dict[int, list[str]]
    receivables: dict[int, list[str]]

    @property
    def division(self) -> int:
        return self.divisions[0]


Payment = Installment
MailsSeen = Callable[[str], list[date]]


class PaymentSimulator:
    """Customers of one division paying according to their habit, one day at a time.

    Each receivable gets its own random stream (seeded by `seed` and its ID), so the outcome does
    not depend on the order of calls; installments already booked are read from the receivable,
    so a seeded history and later simulated days fit together.
    """

    def __init__(self, state: ExactState, division: int, seed: int = 0) -> None:
        self.state = state
        self.division = division
        self.seed = seed

    def schedule(self, term: PaymentTerm, habit: str, mails: list[date]) -> list[Payment]:
        """The (date, amount) installments this customer pays, given the reminders seen so far."""
        rng = random.Random(f"{self.seed}:{term.id}")
        return installments(habit, rng, term.invoice_date, term.due_date, term.amount_dc, mails)

    def simulate_day(self, day: date, mails_seen: MailsSeen) -> list[tuple[str, Decimal]]:
        """Book every installment due on or before `day` that is not booked yet."""
        paid: list[tuple[str, Decimal]] = []
        with self.state.lock:
            dd = self.state.data(self.division)
            open_terms = [t for t in dd.terms.values() if not t.is_fully_paid]
            open_terms.sort(key=lambda t: (t.invoice_date, t.entry_number))
            for term in open_terms:
                if term.invoice_date > day:
                    continue
                account = dd.accounts.get(term.account)
                if account is None:
                    continue
                plan = self.schedule(term, account.habit or "on_time", mails_seen(account.email))
                for when, amount in plan[len(term.payments) :]:
                    if when > day:
                        break
                    pay = min(amount, term.open_amount)
                    if pay <= 0:
                        break
                    self.state.record_payment(self.division, term.id, pay, day)
                    paid.append((term.id, pay))
        return paid


def seed_demo(
    state: ExactState,
    seed: int = 42,
    divisions: int = 1,
    accounts: int = 40,
    history_days: int = 120,
) -> DemoInfo:
    """An app, a user with one or two divisions, ~40 accounts per division with payment habits,
    a few hundred receivables over the last `history_days`, and what they already paid."""
    rng = random.Random(seed)
    today = local_today(state)
    if DEMO_CLIENT_ID not in state.apps:
        state.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [DEMO_REDIRECT_URI])
    chosen = DEMO_DIVISIONS[: max(1, min(divisions, len(DEMO_DIVISIONS)))]
    user_id = _guid(rng)
    user = state.users.get(user_id) or state.add_user_with_divisions(
        "demo.boekhouder",
        list(chosen),
        full_name="Demo Boekhouder",
        email="boekhouding@demo-installatie.example",
        user_id=user_id,
    )
    habits = [h for h, w in zip(HABITS, _HABIT_WEIGHTS, strict=True) for _ in range(w)]
    account_ids: dict[int, list[str]] = {}
    receivable_ids: dict[int, list[str]] = {}
    for index, (code, _description) in enumerate(chosen):
        count = accounts if index == 0 else max(1, accounts // 3)
        picked = habits[:]
        rng.shuffle(picked)
        account_ids[code], receivable_ids[code] = [], []
        used: set[str] = set()
        reminders: dict[str, list[date]] = {}
        for n in range(count):
            name = f"{rng.choice(_PREFIXES)} {rng.choice(_NAMES)}"
            while name in used:
                name = f"{name} {rng.randint(2, 99)}"
            used.add(name)
            name_bv = f"{name} B.V."
            language = "EN" if rng.random() < 0.15 else "NL"
            email = f"administratie@{_slug(name)}.example"
            habit = picked[n % len(picked)]
            account = state.add_account(
                code,
                name_bv,
                email=email,
                code=100 + n,
                language=language,
                habit=habit,
                id=_guid(rng),
                city=rng.choice(("Utrecht", "Zwolle", "Delft", "Breda")),
                # from n, not rng: the seeded ledgers stay as they were
                address_line1=f"{_STREETS[n % len(_STREETS)]} {n + 1}",
                postcode=f"{1000 + (n * 379) % 8999:04d} "
                f"{'ABCDEGHJ'[n % 8]}{'KLMNPRST'[n // 8 % 8]}",
            )
            first = rng.choice(_FIRST)
            state.add_contact(
                code, account.id, first, rng.choice(_NAMES), email=email, id=_guid(rng)
            )
            account_ids[code].append(account.id)
            for _ in range(rng.randint(4, 12)):
                invoice_date = today - timedelta(days=rng.randint(0, history_days))
                days = rng.choice((14, 30, 30, 30))
                amount = Decimal(rng.randint(9_500, 450_000)) / 100
                term = state.add_receivable(
                    code,
                    account.id,
                    amount,
                    invoice_date,
                    invoice_date + timedelta(days=days),
                    description=f"Factuur werkzaamheden {invoice_date:%B %Y}",
                    id=_guid(rng),
                )
                receivable_ids[code].append(term.id)
                # history: Exact's own reminders 7 and 21 days after the due date
                due = term.due_date
                reminders[email] = sorted(
                    {*reminders.get(email, []), due + timedelta(days=7), due + timedelta(days=21)}
                )

        def past_mails(address: str, table: dict[str, list[date]] = reminders) -> list[date]:
            return [d for d in table.get(address, []) if d < today]

        simulator = PaymentSimulator(state, code, seed)
        for term_id in receivable_ids[code]:
            term = state.data(code).terms[term_id]
            acc = state.data(code).accounts[term.account]
            plan = simulator.schedule(term, acc.habit or "on_time", past_mails(acc.email))
            for when, amount in plan:
                if when >= today:
                    break
                state.record_payment(code, term.id, min(amount, term.open_amount), when)
    return DemoInfo(
        DEMO_CLIENT_ID,
        DEMO_CLIENT_SECRET,
        DEMO_REDIRECT_URI,
        user.id,
        tuple(c for c, _ in chosen),
        account_ids,
        receivable_ids,
    )


def demo_tokens(state: ExactState, info: DemoInfo) -> TokenSet:
    """Tokens for the demo user whose refresh is allowed at once: issued 570 s ago, so the access
    token still lives for 30 s."""
    issued = state.now() - timedelta(seconds=state.limits.refresh_min_interval)
    return state.issue_tokens_for_tests(info.client_id, info.user_id, issued_at=issued)


@dataclass
class BulkLedger:
    state: ExactState
    division: int
    account_ids: list[str]
    receivable_ids: list[str]
    seed: int = 0
    _touches: int = field(default=0, repr=False)

    def touch_share(self, share: float = 0.01) -> list[str]:
        """Change `share` of the receivables (a payment in full, or a plain re-save when already
        paid) so an incremental sync has something to fetch."""
        self._touches += 1
        rng = random.Random(f"{self.seed}:touch:{self._touches}")
        count = max(1, round(len(self.receivable_ids) * share))
        chosen = rng.sample(self.receivable_ids, min(count, len(self.receivable_ids)))
        today = local_today(self.state)
        with self.state.lock:
            terms = self.state.data(self.division).terms
            for term_id in chosen:
                term = terms[term_id]
                if term.open_amount > 0:
                    self.state.record_payment(self.division, term_id, term.open_amount, today)
                else:
                    self.state.touch(self.division, "terms", term_id)
        return chosen


def bulk_ledger(
    state: ExactState,
    division: int,
    receivables: int = 50_000,
    accounts: int = 2_500,
    seed: int = 0,
) -> BulkLedger:
    """A big ledger for benchmarks: `accounts` customers and `receivables` open items."""
    rng = random.Random(seed)
    today = local_today(state)
    account_ids: list[str] = []
    receivable_ids: list[str] = []
    with state.lock:
        if division not in state.divisions:
            state.add_division(division, f"Bulk {division}")
        for n in range(accounts):
            acc = state.add_account(
                division,
                f"Klant {n:05d} B.V.",
                email=f"klant{n:05d}@bulk.example",
                code=10_000 + n,
                habit=HABITS[n % len(HABITS)],
                id=_guid(rng),
            )
            account_ids.append(acc.id)
        for n in range(receivables):
            invoice_date = today - timedelta(days=rng.randint(0, 365))
            term = state.add_receivable(
                division,
                account_ids[n % accounts],
                Decimal(rng.randint(1_000, 500_000)) / 100,
                invoice_date,
                invoice_date + timedelta(days=30),
                id=_guid(rng),
                description=f"Factuur {n}",
            )
            receivable_ids.append(term.id)
    return BulkLedger(state, division, account_ids, receivable_ids, seed)


def touch_share(ledger: BulkLedger, share: float = 0.01) -> list[str]:
    return ledger.touch_share(share)


def when_local(day: date, hour: int = 9) -> datetime:
    """An aware datetime for `hour` o'clock Amsterdam time on `day` (handy for clocks)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=AMSTERDAM)
