"""An in-memory `Ledger` (connector.domain.ports) for tests of the engine itself: the sync and the
dispatcher against a ledger whose every answer the test decides, without a sandbox or HTTP.

It keeps customers, invoices and payments in dicts, streams them in pages of `page_size` ordered
by `updated_at` (each page's cursor is its last record's `updated_at`, ISO, as the dispatcher's
re-check reads it back), and records what the engine asked: cursors, re-checks, detail reads,
performed actions and reconciliations. Writes answer `SENT` unless the test queued other answers
(`answer_next`); `reconcile` answers `reconcile_as`. Every change (`pay`, `change_balance`, ...)
moves the record's `updated_at` to the fake's clock, as a platform does.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from connector.domain import (
    Action,
    ActionKind,
    Customer,
    Invoice,
    InvoiceStatus,
    Money,
    Payment,
)
from connector.domain.clock import Clock
from connector.domain.ports import (
    Capabilities,
    ErrorKind,
    LedgerError,
    Outcome,
    Page,
    RenderedMessage,
    WriteResult,
)

R = TypeVar("R", Customer, Invoice, Payment)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

#: called before each page is handed out: (stream, index of the page in this read)
PageHook = Callable[[str, int], None]


@dataclass
class Performed:
    """One `perform` call as the dispatcher made it."""

    action: Action
    rendered: RenderedMessage | None


@dataclass
class FakeLedger:
    clock: Clock
    page_size: int = 2
    platform: str = "fake"
    capabilities: Capabilities = field(
        default_factory=lambda: Capabilities(kinds=frozenset(ActionKind))
    )
    customers: dict[str, Customer] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    payments: dict[str, Payment] = field(default_factory=dict)
    #: what `reconcile` answers
    reconcile_as: Outcome = Outcome.UNKNOWN
    #: the engine's requests, in order
    cursors_asked: list[tuple[str, str | None]] = field(default_factory=list)
    rechecks: list[str] = field(default_factory=list)
    details_read: list[str] = field(default_factory=list)
    performed: list[Performed] = field(default_factory=list)
    reconciled: list[tuple[Action, dict[str, int | None]]] = field(default_factory=list)
    #: before each page of a read; may raise (a read that breaks off after some pages)
    before_page: PageHook | None = None
    _answers: list[WriteResult | LedgerError] = field(default_factory=list)

    # -- the test's side: the ledger's content ------------------------------------------
    def add_customer(self, ref: str, name: str, email: str | None = None, **kw: Any) -> Customer:
        email = email if email is not None else f"{name.split()[0].lower()}@example.nl"
        customer = Customer(ref, name, email=email, updated_at=self.clock.now(), **kw)
        self.customers[ref] = customer
        return customer

    def add_invoice(
        self, ref: str, customer: Customer, amount: str, due: date, number: str | None = None
    ) -> Invoice:
        money = Money.of(amount, "EUR")
        invoice = Invoice(
            ref=ref,
            number=number or f"INV-{ref}",
            customer_ref=customer.ref,
            status=InvoiceStatus.OPEN,
            issue_date=due.replace(day=1),
            due_date=due,
            total=money,
            balance=money,
            updated_at=self.clock.now(),
        )
        self.invoices[ref] = invoice
        return invoice

    def pay(self, invoice: Invoice | str) -> Invoice:
        """The customer pays the invoice in full (the platform marks it paid)."""
        ref = invoice if isinstance(invoice, str) else invoice.ref
        current = self.invoices[ref]
        paid = dataclasses.replace(
            current,
            status=InvoiceStatus.PAID,
            balance=Money.zero(current.balance.currency),
            last_payment_date=self.clock.now().date(),
            updated_at=self.clock.now(),
        )
        self.invoices[ref] = paid
        self.payments[f"P-{ref}"] = Payment(
            f"P-{ref}",
            current.customer_ref,
            self.clock.now().date(),
            current.balance,
            (ref,),
            updated_at=self.clock.now(),
        )
        return paid

    def change_balance(self, invoice: Invoice | str, amount: str) -> Invoice:
        ref = invoice if isinstance(invoice, str) else invoice.ref
        current = self.invoices[ref]
        changed = dataclasses.replace(
            current, balance=Money.of(amount, "EUR"), updated_at=self.clock.now()
        )
        self.invoices[ref] = changed
        return changed

    def update_customer(self, ref: str, **changes: Any) -> Customer:
        changed = dataclasses.replace(self.customers[ref], updated_at=self.clock.now(), **changes)
        self.customers[ref] = changed
        return changed

    def forget(self, invoice: Invoice | str) -> None:
        """The platform no longer knows the invoice (deleted there)."""
        del self.invoices[invoice if isinstance(invoice, str) else invoice.ref]

    def answer_next(self, *answers: WriteResult | LedgerError) -> None:
        """What the next `perform` calls answer (a LedgerError is raised), in order."""
        self._answers.extend(answers)

    # -- the Ledger protocol ------------------------------------------------------------
    def check(self) -> str:
        return "Fake ledger (in memory)"

    def iter_customers(self, cursor: str | None) -> Iterator[Page[Customer]]:
        return self._pages("customers", self.customers.values(), cursor)

    def iter_invoices(self, cursor: str | None) -> Iterator[Page[Invoice]]:
        return self._pages("invoices", self.invoices.values(), cursor)

    def iter_payments(self, cursor: str | None) -> Iterator[Page[Payment]]:
        return self._pages("payments", self.payments.values(), cursor)

    def get_invoices(self, refs: Sequence[str]) -> dict[str, Invoice | None]:
        return {ref: self.invoices.get(ref) for ref in refs}

    def recheck_customer(self, customer_ref: str, since: datetime | None) -> list[Invoice]:
        self.rechecks.append(customer_ref)
        return [
            inv
            for inv in self.invoices.values()
            if inv.customer_ref == customer_ref
            and (since is None or inv.updated_at is None or inv.updated_at > since)
        ]

    def get_customer(self, customer_ref: str) -> Customer:
        self.details_read.append(customer_ref)
        try:
            return self.customers[customer_ref]
        except KeyError:
            raise LedgerError(ErrorKind.FATAL, f"no customer {customer_ref}") from None

    def perform(self, action: Action, rendered: RenderedMessage | None) -> WriteResult:
        self.performed.append(Performed(action, rendered))
        answer = self._answers.pop(0) if self._answers else WriteResult(Outcome.SENT, "sent")
        if isinstance(answer, LedgerError):
            raise answer
        return answer

    def reconcile(self, action: Action, before: dict[str, int | None]) -> Outcome:
        self.reconciled.append((action, before))
        return self.reconcile_as

    # -- streaming ----------------------------------------------------------------------
    def _pages(self, stream: str, records: Iterable[R], cursor: str | None) -> Iterator[Page[R]]:
        self.cursors_asked.append((stream, cursor))
        since = datetime.fromisoformat(cursor) if cursor else None
        chosen: list[R] = sorted(
            (r for r in records if since is None or (r.updated_at and r.updated_at > since)),
            key=lambda r: (r.updated_at or EPOCH, r.ref),
        )
        return self._paged(stream, chosen)

    def _paged(self, stream: str, chosen: list[R]) -> Iterator[Page[R]]:
        for index, start in enumerate(range(0, len(chosen), self.page_size)):
            if self.before_page is not None:
                self.before_page(stream, index)
            items = chosen[start : start + self.page_size]
            last = items[-1].updated_at
            yield Page(items, last.isoformat() if last else None)
