"""The only place that knows Exact Online field names: OData rows -> domain objects, and back.

Exact's values at the edge (docs/exact-online.md):
  * dates come as ``/Date(1641034800000)/``: the epoch milliseconds of the *Dutch wall clock*
    read as if it were UTC. They become aware datetimes in Europe/Amsterdam (and plain dates for
    date fields). The offset form ``/Date(1516741035800+0100)/`` carries a real UTC instant;
  * ``$filter`` datetime literals carry no zone and are read as Dutch wall time, so aware
    datetimes are converted to Amsterdam wall time before formatting;
  * GUIDs are compared case-insensitively by Exact; we keep them lower-case canonical;
  * amounts are JSON numbers, parsed as `Decimal` by the client, never float.
A row that cannot be read raises `MalformedRecord` (MALFORMED) naming it, so a sync fails loudly
instead of storing a wrong balance.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from adapters.exact.endpoints import STATUS_MATCHED
from adapters.exact.errors import ExactApiError
from connector.domain import (
    Customer,
    CustomerProfile,
    Invoice,
    InvoiceStatus,
    Money,
    postal_address,
)
from connector.domain.ports import ErrorKind

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_EPOCH = datetime(1970, 1, 1)
_ODATA_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


class MalformedRecord(ExactApiError):
    def __init__(self, what: str, message: str) -> None:
        super().__init__(ErrorKind.MALFORMED, f"Exact {what}: {message}", endpoint=what, sent=None)


# -- error paths -------------------------------------------------------------------------------
#: the largest amount a ledger plausibly holds (beyond it Decimal rounding to cents overflows)
MAX_AMOUNT = Decimal(10) ** 15

_P = ParamSpec("_P")
_R = TypeVar("_R")


def _located(kind: str, keys: tuple[str, ...]) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Any other exception while mapping a record (a value no check foresaw) becomes a
    `MalformedRecord` naming the record, never a bare ValueError/InvalidOperation/OverflowError
    out of the adapter."""

    def wrap(fn: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(fn)
        def inner(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return fn(*args, **kwargs)
            except MalformedRecord:
                raise
            except (ValueError, TypeError, ArithmeticError, AttributeError, KeyError) as exc:
                record = args[0] if args else None
                name = kind
                if isinstance(record, Mapping):
                    ids = [str(record.get(k))[:60] for k in keys if record.get(k) not in (None, "")]
                    name = f"{kind} {ids[0]}" if ids else kind
                raise MalformedRecord(name, f"{type(exc).__name__}: {exc}"[:300]) from None

        return inner

    return wrap


def _amount_ok(amount: Decimal, key: str, what: str) -> Decimal:
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise MalformedRecord(what, f"{key}: not a plausible amount: {amount}")
    return amount


# -- scalars ----------------------------------------------------------------------------------
def parse_odata_datetime(value: Any) -> datetime | None:
    """``/Date(ms)/`` (Dutch wall time dressed as UTC) -> aware Amsterdam datetime; None/"" ->
    None. ISO strings (what Exact echoes for values we posted) are accepted too."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    m = _ODATA_DATE.match(text)
    if m is None:
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"not an OData date: {value!r}") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=AMSTERDAM)
    ms = int(m.group(1))
    try:
        if m.group(2):  # an explicit offset: the number is a true UTC instant
            return datetime.fromtimestamp(ms / 1000, UTC).astimezone(AMSTERDAM)
        wall = _EPOCH + timedelta(milliseconds=ms)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"an OData date out of range: {text[:40]!r}") from None
    return wall.replace(tzinfo=AMSTERDAM)


def parse_odata_date(value: Any) -> date | None:
    moment = parse_odata_datetime(value)
    return None if moment is None else moment.date()


def wall_literal(moment: datetime) -> str:
    """An aware datetime as a ``$filter`` literal: ``datetime'2026-01-05T09:00:00'`` in Dutch
    wall time (Exact reads zone-less literals as local time)."""
    if moment.tzinfo is None:
        raise ValueError("wall_literal needs an aware datetime")
    return f"datetime'{moment.astimezone(AMSTERDAM):%Y-%m-%dT%H:%M:%S}'"


def wall_json(moment: datetime) -> str:
    """An aware datetime as Exact wants it in a POST body (zone-less Dutch wall time)."""
    return f"{moment.astimezone(AMSTERDAM):%Y-%m-%dT%H:%M:%S}"


def guid(value: Any, what: str = "record") -> str:
    """A canonical lower-case GUID, or MalformedRecord."""
    try:
        return str(uuid.UUID(str(value).strip().strip("{}")))
    except (ValueError, AttributeError):
        raise MalformedRecord(what, f"not a GUID: {value!r}") from None


def guid_literal(ref: str) -> str:
    """``guid'…'`` for a ``$filter``; refuses anything that is not a GUID (no injection)."""
    return f"guid'{guid(ref, 'reference')}'"


def timestamp(value: Any, what: str) -> int:
    try:
        return int(str(value).rstrip("L"))
    except (TypeError, ValueError):
        raise MalformedRecord(what, f"Timestamp is {value!r}") from None


def to_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    if isinstance(value, Decimal) and value.is_finite():
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        value = repr(value)  # NaN and infinities are refused below like their strings
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return result


def to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if value in (None, ""):
        return None
    return str(value).strip().lower() in ("true", "1")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _money(record: Mapping[str, Any], key: str, currency: str, what: str) -> Money:
    try:
        amount = to_decimal(record.get(key))
    except ValueError as exc:
        raise MalformedRecord(what, f"{key}: {exc}") from None
    if amount is None:
        raise MalformedRecord(what, f"{key} is missing")
    return Money(_amount_ok(amount, key, what).quantize(Decimal("0.01")), currency)


def _when(record: Mapping[str, Any], key: str, what: str) -> datetime | None:
    try:
        return parse_odata_datetime(record.get(key))
    except ValueError as exc:
        raise MalformedRecord(what, f"{key}: {exc}") from None


def _day(record: Mapping[str, Any], key: str, what: str) -> date | None:
    moment = _when(record, key, what)
    return None if moment is None else moment.date()


# -- records ----------------------------------------------------------------------------------
def is_receivable(record: Mapping[str, Any]) -> bool:
    """A `sync/Cashflow/PaymentTerms` row of LineType 20 (rows without LineType, from
    `cashflow/Receivables`, are receivables by definition)."""
    line = record.get("LineType")
    return line is None or str(line) == "20"


@_located("receivable", ("InvoiceNumber", "EntryNumber", "ID"))
def invoice_from_term(record: Mapping[str, Any], *, currency: str = "EUR") -> Invoice:
    """A receivable (a payment term of a sales entry) -> Invoice, from documented properties
    only (docs/exact-online.md, "Open amounts"):

    * PAID when ``IsFullyPaid`` ("whether the receivable was fully paid by the customer") or
      ``Status`` 50 ("matched - payment is matched with one or more other outstanding items"),
      or when the term's amount is not positive (a credit note);
    * else OPEN with the term's ``AmountFC`` ("the amount of the receivable … in the selected
      currency"; ``AmountDC`` "payments are matched on this amount" when FC is absent) as its
      balance. That is the most that can be open: after a partial payment (``LastPaymentDate``
      set, not fully paid) the open part is read from ``read/financial/ReceivablesListByAccount``
      (`settle`), and it is re-read so right before anything is sent;
    * the total is ``TransactionAmountFC`` ("total amount of the linked transaction"), else the
      term's amount.

    The receivable's id is the invoice ref (one sales entry with split terms gives one
    receivable per term)."""
    ref = guid(record.get("ID"), "receivable")
    number = _text(record.get("InvoiceNumber")) or _text(record.get("EntryNumber")) or ref
    what = f"receivable {number}"
    code = (_text(record.get("Currency")) or currency).upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise MalformedRecord(what, f"Currency is not a currency: {code[:20]!r}")
    if record.get("AmountFC") is not None:
        amount = _money(record, "AmountFC", code, what)
    else:
        amount = _money(record, "AmountDC", currency.upper(), what)
    if record.get("TransactionAmountFC") is not None and amount.currency == code:
        total = _money(record, "TransactionAmountFC", code, what)
    else:
        total = amount
    issue = _day(record, "InvoiceDate", what) or _day(record, "EntryDate", what)
    due = _day(record, "DueDate", what) or issue
    if issue is None or due is None:
        raise MalformedRecord(what, "no InvoiceDate and no DueDate")
    matched = str(record.get("Status") or "") == str(STATUS_MATCHED)
    paid = bool(to_bool(record.get("IsFullyPaid"))) or matched or not amount.is_positive()
    zero = Money(Decimal("0.00"), amount.currency)
    return Invoice(
        ref=ref,
        number=number,
        customer_ref=guid(record.get("Account"), what),
        status=InvoiceStatus.PAID if paid else InvoiceStatus.OPEN,
        issue_date=issue,
        due_date=due,
        total=total,
        balance=zero if paid else amount,
        updated_at=_when(record, "Modified", what),
        last_payment_date=_day(record, "LastPaymentDate", what),
    )


def partly_paid(invoice: Invoice) -> bool:
    """Open, yet a payment was matched to it: its balance needs `settle`."""
    return invoice.status is InvoiceStatus.OPEN and invoice.last_payment_date is not None


def entry_number(record: Mapping[str, Any]) -> str | None:
    return _text(record.get("EntryNumber"))


@dataclass(frozen=True, slots=True)
class OpenItem:
    """One row of ``read/financial/ReceivablesListByAccount``: what is open of one term."""

    entry: str
    due: date | None
    open: Money


@_located("open items", ())
def open_items(rows: list[dict[str, Any]], what: str) -> dict[str, list[OpenItem]]:
    """The account's open items by ``EntryNumber`` ("the entry number of this payment term
    corresponding sales/cashflow entry"). ``Amount`` is the outstanding part; ``AmountInTransit``
    ("the amount that you have requested your bank to pay", a direct debit under way) is not
    dunned, so it is taken off."""
    out: dict[str, list[OpenItem]] = {}
    for row in rows:
        entry = _text(row.get("EntryNumber"))
        label = f"{what} open item {entry or '?'}"
        if entry is None:
            raise MalformedRecord(label, "EntryNumber is missing")
        code = (_text(row.get("CurrencyCode")) or "").upper()
        if not code:
            raise MalformedRecord(label, "CurrencyCode is missing")
        amount = _money(row, "Amount", code, label)
        transit = (
            _money(row, "AmountInTransit", code, label)
            if row.get("AmountInTransit") not in (None, "")
            else Money(Decimal("0.00"), code)
        )
        if transit.is_positive():
            amount = Money(amount.amount - transit.amount, code)
        out.setdefault(entry, []).append(OpenItem(entry, _day(row, "DueDate", label), amount))
    return out


def settle(
    invoice: Invoice, entry: str | None, items: Mapping[str, list[OpenItem]], terms_in_entry: int
) -> Invoice:
    """`invoice` (OPEN) with the balance Exact's open-items list states for it now.
    `terms_in_entry`: how many receivables of this entry the caller holds (split terms).

    The list has no receivable id: its rows are matched on the entry number, and among several
    terms of one entry on the due date. An entry absent from the list has nothing open ("an
    invoice absent from the list is settled"): the balance becomes 0 and the status stays OPEN
    until the receivable itself says it is paid, so nothing is sent and no thank-you either.
    The open amount never exceeds the term's own amount."""
    if invoice.status is not InvoiceStatus.OPEN or entry is None:
        return invoice
    rows = items.get(entry, [])
    zero = Money(Decimal("0.00"), invoice.balance.currency)
    if not rows:
        return replace(invoice, balance=zero)
    for item in rows:
        if item.open.currency != invoice.balance.currency:
            raise MalformedRecord(
                f"receivable {invoice.number}",
                f"open items in {item.open.currency}, the receivable in {invoice.balance.currency}",
            )
    same_due = [i for i in rows if i.due == invoice.due_date]
    chosen = same_due or rows
    total = sum((i.open.amount for i in chosen), Decimal("0.00"))
    if total <= 0:
        return replace(invoice, balance=zero)
    amount = min(total, invoice.balance.amount)
    return replace(invoice, balance=Money(amount.quantize(Decimal("0.01")), zero.currency))


def tombstone(ref: str, deleted_at: datetime | None, currency: str = "EUR") -> Invoice:
    """A receivable `sync/Deleted` reports: only its id is known. Marked DELETED, never dunned;
    the number keeps the id so the store shows what it was."""
    day = (deleted_at or datetime(1970, 1, 1, tzinfo=UTC)).date()
    zero = Money(Decimal("0.00"), currency)
    return Invoice(
        ref=ref,
        number=f"deleted {ref[:8]}",
        customer_ref="",
        status=InvoiceStatus.DELETED,
        issue_date=day,
        due_date=day,
        total=zero,
        balance=zero,
        updated_at=deleted_at,
    )


@_located("account", ("Name", "Code", "ID"))
def customer_from_account(
    record: Mapping[str, Any], *, contact_email: str | None = None, currency: str = "EUR"
) -> Customer:
    """A `crm/Accounts` row -> Customer. The e-mail is the account's, else its main contact's.
    Exact has no "reminders off" flag on an account (reference §5), so `reminders_enabled` is
    None (unknown): per-customer overrides in the client file decide."""
    ref = guid(record.get("ID"), "account")
    name = _text(record.get("Name")) or _text(record.get("Code")) or ref
    language = _text(record.get("Language"))
    return Customer(
        ref=ref,
        name=name,
        email=_text(record.get("Email")) or contact_email,
        company_name=name,
        profile=CustomerProfile.BUSINESS,
        reminders_enabled=None,
        language=language.lower()[:2] if language else None,
        currency=currency,
        updated_at=_when(record, "Modified", f"account {name}"),
        address=account_address(record),
        number=_text(record.get("Code")),
    )


def account_address(record: Mapping[str, Any]) -> str | None:
    """``AddressLine1`` / ``Postcode City`` / ``Country`` (a code) as letter lines."""
    return postal_address(
        [_text(record.get("AddressLine1"))],
        _text(record.get("Postcode")),
        _text(record.get("City")),
        _text(record.get("Country")),
    )


@_located("contacts", ())
def main_contact_email(rows: list[dict[str, Any]]) -> str | None:
    """The e-mail of an account's main contact, else of any contact that has one."""
    ranked = sorted(rows, key=lambda r: not to_bool(r.get("IsMainContact")))
    for row in ranked:
        email = _text(row.get("Email"))
        if email:
            return email
    return None


def division_line(me: Mapping[str, Any], division: int, description: str | None) -> str:
    who = _text(me.get("FullName")) or _text(me.get("UserName")) or "?"
    return f"{description or '?'} (division {division}) as {who}"
