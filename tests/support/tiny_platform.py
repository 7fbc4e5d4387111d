"""A platform that is not in the product: a ledger over in-memory lists.

It plugs in the way a third party's would, through a distribution's entry point in the group
``dunning_connector.platforms`` (the test installs one on ``sys.path``), without a line of
`connector/` knowing it. `BOOKS` holds the ledgers by the name the client file's ``tiny.book``
gives; what the connector does to them is recorded in `TinyBook.sent`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import typer
from pydantic import Field

from connector.config.models import NonEmpty, PlatformSettings
from connector.domain import Action, ActionKind, Customer, Invoice, Payment
from connector.domain.ports import Capabilities, Ledger, Outcome, Page, RenderedMessage, WriteResult
from connector.platforms import LedgerRequest, LoginRequest, Platform


class TinySettings(PlatformSettings):
    """The client file's ``tiny:`` section."""

    #: which of `BOOKS` this client follows
    book: NonEmpty
    #: the platform's daily API quota (what the budget alert compares with)
    daily_calls: int = Field(default=500, ge=1)


@dataclass
class TinyBook:
    customers: list[Customer]
    invoices: list[Invoice]
    payments: list[Payment] = field(default_factory=list)
    #: what the connector did: (action, the mail it rendered)
    sent: list[tuple[Action, RenderedMessage | None]] = field(default_factory=list)


BOOKS: dict[str, TinyBook] = {}


class TinyLedger:
    platform = "tiny"
    capabilities = Capabilities(kinds=frozenset(ActionKind), sends_mail_itself=True)

    def __init__(self, book: TinyBook) -> None:
        self.book = book

    def check(self) -> str:
        return f"a tiny book of {len(self.book.invoices)} invoices"

    def iter_customers(self, cursor: str | None) -> Iterator[Page[Customer]]:
        yield Page(list(self.book.customers), cursor="all")

    def iter_invoices(self, cursor: str | None) -> Iterator[Page[Invoice]]:
        yield Page(list(self.book.invoices), cursor="all")

    def iter_payments(self, cursor: str | None) -> Iterator[Page[Payment]]:
        yield Page(list(self.book.payments), cursor="all")

    def get_invoices(self, refs: Sequence[str]) -> dict[str, Invoice | None]:
        by_ref = {i.ref: i for i in self.book.invoices}
        return {ref: by_ref.get(ref) for ref in refs}

    def recheck_customer(self, customer_ref: str, since: datetime | None) -> list[Invoice]:
        return [i for i in self.book.invoices if i.customer_ref == customer_ref]

    def get_customer(self, customer_ref: str) -> Customer:
        return next(c for c in self.book.customers if c.ref == customer_ref)

    def perform(self, action: Action, rendered: RenderedMessage | None) -> WriteResult:
        self.book.sent.append((action, rendered))
        return WriteResult(Outcome.SENT, refs=(f"tiny-{len(self.book.sent)}",))

    def reconcile(self, action: Action, before: dict[str, int | None]) -> Outcome:
        keys = {done.idempotency_key for done, _ in self.book.sent}
        return Outcome.SENT if action.idempotency_key in keys else Outcome.NOT_SENT


def _settings(value: object) -> TinySettings:
    assert isinstance(value, TinySettings)
    return value


def build_ledger(request: LedgerRequest) -> Ledger:
    return TinyLedger(BOOKS[_settings(request.settings).book])


def login(request: LoginRequest) -> None:
    """No consent page: a token is stored right away (the run requires one, as for any)."""
    now = request.clock.now()
    request.tokens.put_initial(
        request.slug,
        "default",
        "tiny",
        refresh_token="tiny-refresh",
        access_token="tiny-access",
        expires_at=now + timedelta(hours=1),
        now=now,
    )
    request.echo(f"{request.slug}: tiny book {_settings(request.settings).book} connected")


def cli() -> typer.Typer:
    """`dunning tiny about`: the platform's own command, mounted by the core through the
    registry."""
    commands = typer.Typer(help="Tiny Books: in-memory ledgers.", no_args_is_help=True)

    @commands.command("about")
    def about() -> None:
        """What this platform is."""
        typer.echo("Tiny Books: a ledger over in-memory lists")

    return commands


PLATFORM = Platform(
    name="tiny",
    title="Tiny Books",
    settings_model=TinySettings,
    build_ledger=build_ledger,
    login=login,
    daily_api_budget=lambda settings: _settings(settings).daily_calls,
    ledger_keys=lambda settings: [("book", f"tiny book {_settings(settings).book}")],
    cli=cli,
)
