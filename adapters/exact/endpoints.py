"""One declarative spec per Exact Online resource the adapter reads or writes.

Paths are relative to ``{base_url}/api/v1/{division}/`` (``current/Me`` has no division).
Every property named here must be in Exact's API reference as kept in
``adapters/exact/reference/exact-fields.json`` (see adapters/exact/contract.py): each `Endpoint`
and `PostSpec` registers itself in the contract when created, filters can only be built from an
endpoint's declared `filters` (`Endpoint.prop`), and POST bodies only from a spec's declared
properties (`PostSpec.body`). ``tests/adapters/contract`` checks them all. Every read names its
fields (`$select`): Exact refuses many reads without one, and it keeps answers small.

Sync endpoints (``sync/…``) return 1,000 rows a page in rising ``Timestamp`` order, filtered with
``Timestamp gt {n}L``; normal endpoints return 60 rows a page. Both page with ``__next``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from adapters.exact.contract import (
    BODY,
    EXACT,
    FILTER,
    ORDERBY,
    PARAMETER,
    SELECT,
    Contract,
    Use,
)

SYNC_PAGE = 1000
CRUD_PAGE = 60


class UndeclaredField(ValueError):
    """A filter, body or parameter named something its declaration does not list."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A list resource: its path, the properties read (`select`), the properties a filter may
    name (`filters`), `orderby` and URL `parameters` (function resources)."""

    name: str
    path: str
    select: tuple[str, ...]
    sync: bool = False
    filters: tuple[str, ...] = ()
    orderby: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    contract: Contract = field(default=EXACT, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.contract.register(self)

    @property
    def page_size(self) -> int:
        return SYNC_PAGE if self.sync else CRUD_PAGE

    @property
    def select_param(self) -> str:
        return ",".join(self.select)

    def prop(self, name: str) -> Prop:
        """A declared filter property, to build a `Filter` from."""
        if name not in self.filters:
            raise UndeclaredField(f"{self.path}: '{name}' is not a declared filter property")
        return Prop(self, name)

    def arguments(self, values: Mapping[str, str]) -> dict[str, str]:
        """URL parameters of a function resource, only declared ones."""
        for name in values:
            if name not in self.parameters:
                raise UndeclaredField(f"{self.path}: '{name}' is not a declared parameter")
        return dict(values)

    def uses(self) -> Iterable[Use]:
        who = f"endpoint {self.name}"
        for how, names in (
            (SELECT, self.select),
            (FILTER, self.filters),
            (ORDERBY, self.orderby),
            (PARAMETER, self.parameters),
        ):
            for name in names:
                yield Use(self.path, name, how, who)


@dataclass(frozen=True, slots=True)
class PostSpec:
    """A resource the adapter creates records in, and the properties its bodies may carry."""

    name: str
    path: str
    fields: tuple[str, ...]
    contract: Contract = field(default=EXACT, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.contract.register(self)

    def body(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` as a POST body; refuses a property this spec does not declare."""
        for name in values:
            if name not in self.fields:
                raise UndeclaredField(f"{self.path}: '{name}' is not a declared body property")
        return dict(values)

    def uses(self) -> Iterable[Use]:
        for name in self.fields:
            yield Use(self.path, name, BODY, f"POST {self.name}")


# -- $filter ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Literal:
    """An OData literal, made only by the constructors below (no raw text reaches a filter)."""

    text: str


def guid_value(ref: str) -> Literal:
    from adapters.exact.mapping import guid_literal

    return Literal(guid_literal(ref))


def datetime_value(moment: datetime) -> Literal:
    from adapters.exact.mapping import wall_literal

    return Literal(wall_literal(moment))


def int64_value(value: int) -> Literal:
    return Literal(f"{int(value)}L")


def bool_value(value: bool) -> Literal:
    return Literal("true" if value else "false")


@dataclass(frozen=True, slots=True)
class Filter:
    """A ``$filter`` expression over one endpoint's declared properties."""

    path: str
    text: str
    compound: bool = False

    def _join(self, op: str, other: Filter) -> Filter:
        if other.path != self.path:
            raise ValueError(f"a filter on {self.path} joined with one on {other.path}")
        left = f"({self.text})" if self.compound else self.text
        right = f"({other.text})" if other.compound else other.text
        return Filter(self.path, f"{left} {op} {right}", True)

    def __and__(self, other: Filter) -> Filter:
        return self._join("and", other)

    def __or__(self, other: Filter) -> Filter:
        return self._join("or", other)


@dataclass(frozen=True, slots=True)
class Prop:
    endpoint: Endpoint
    name: str

    def _cmp(self, op: str, value: Literal) -> Filter:
        if not isinstance(value, Literal):
            raise TypeError("a filter value must be a Literal (guid_value, datetime_value, …)")
        return Filter(self.endpoint.path, f"{self.name} {op} {value.text}")

    def eq(self, value: Literal) -> Filter:
        return self._cmp("eq", value)

    def gt(self, value: Literal) -> Filter:
        return self._cmp("gt", value)

    def ge(self, value: Literal) -> Filter:
        return self._cmp("ge", value)


def any_of(filters: Iterable[Filter]) -> Filter:
    """``a or b or …`` of one endpoint's filters."""
    items = list(filters)
    if not items:
        raise ValueError("any_of needs at least one filter")
    result = items[0]
    for item in items[1:]:
        result = result | item
    return result


# -- the declarations -------------------------------------------------------------------------
#: a receivable's amounts, from documented properties only (docs/exact-online.md "Open amounts"):
#: AmountDC/AmountFC "payments are matched on this amount", TransactionAmountDC/FC "total amount
#: of the linked transaction", IsFullyPaid, Status, LastPaymentDate. `Amount` (the open part)
#: exists only on the read/financial/ReceivablesList* resources, read by RECEIVABLES_BY_ACCOUNT.
TERM_FIELDS = (
    "ID",
    "Account",
    "AmountDC",
    "AmountFC",
    "TransactionAmountDC",
    "TransactionAmountFC",
    "Currency",
    "DueDate",
    "InvoiceDate",
    "EntryDate",
    "InvoiceNumber",
    "EntryNumber",
    "IsFullyPaid",
    "LastPaymentDate",
    "Status",
    "Modified",
)
ACCOUNT_FIELDS = (
    "ID",
    "Code",
    "Name",
    "Email",
    "Language",
    "Status",
    "Blocked",
    "MainContact",
    "AddressLine1",
    "Postcode",
    "City",
    "Country",
    "Modified",
)
CONTACT_FIELDS = ("ID", "Account", "FullName", "Email", "IsMainContact", "Language", "Modified")

#: receivables (LineType 20) and payables (22) with their Timestamp; we keep the receivables
PAYMENT_TERMS = Endpoint(
    "payment terms",
    "sync/Cashflow/PaymentTerms",
    (*TERM_FIELDS, "LineType", "Timestamp"),
    sync=True,
    filters=("Timestamp",),
)
SYNC_ACCOUNTS = Endpoint(
    "accounts (sync)",
    "sync/CRM/Accounts",
    (*ACCOUNT_FIELDS, "Timestamp"),
    sync=True,
    filters=("Timestamp",),
)
SYNC_CONTACTS = Endpoint(
    "contacts (sync)",
    "sync/CRM/Contacts",
    (*CONTACT_FIELDS, "Timestamp"),
    sync=True,
    filters=("Timestamp",),
)
SYNC_DELETED = Endpoint(
    "deleted",
    "sync/Deleted",
    ("ID", "EntityKey", "EntityType", "Timestamp"),
    sync=True,
    filters=("Timestamp",),
)

#: the same receivables, for filtered reads of one account or a batch of ids
RECEIVABLES = Endpoint(
    "receivables",
    "cashflow/Receivables",
    TERM_FIELDS,
    filters=("ID", "Account", "IsFullyPaid", "Modified"),
)
#: what is still open per invoice of one account, right now: `Amount` ("the outstanding part";
#: a partly paid invoice shows only what is left), `AmountInTransit` (asked from the bank)
RECEIVABLES_BY_ACCOUNT = Endpoint(
    "open receivables of an account",
    "read/financial/ReceivablesListByAccount",
    (
        "HID",
        "AccountId",
        "Amount",
        "AmountInTransit",
        "CurrencyCode",
        "DueDate",
        "EntryNumber",
        "InvoiceNumber",
    ),
    parameters=("accountId",),
)
ACCOUNTS = Endpoint("accounts", "crm/Accounts", ACCOUNT_FIELDS, filters=("ID",))
CONTACTS = Endpoint("contacts", "crm/Contacts", CONTACT_FIELDS, filters=("Account",))
NOTES = Endpoint(
    "communication notes",
    "activities/CommunicationNotes",
    ("ID", "Account", "Subject", "Notes", "Created"),
    filters=("Account", "Created"),
)
TASKS = Endpoint(
    "tasks",
    "activities/Tasks",
    ("ID", "Account", "Description", "Notes", "Created"),
    filters=("Account", "Created"),
)

NOTE_POST = PostSpec(
    "communication note", "activities/CommunicationNotes", ("Account", "Subject", "Notes", "Date")
)
TASK_POST = PostSpec(
    "call task", "activities/Tasks", ("Account", "Description", "Notes", "ActionDate", "TaskType")
)
DOCUMENT_POST = PostSpec(
    "document", "documents/Documents", ("Subject", "Type", "Account", "DocumentDate")
)
ATTACHMENT_POST = PostSpec(
    "document attachment", "documents/DocumentAttachments", ("Document", "FileName", "Attachment")
)
DOCUMENTS_PATH = DOCUMENT_POST.path
ATTACHMENTS_PATH = ATTACHMENT_POST.path

ME = Endpoint(
    "me",
    "current/Me",
    ("UserID", "UserName", "FullName", "CurrentDivision", "DivisionCustomerName"),
)
DIVISIONS = Endpoint(
    "divisions", "system/Divisions", ("Code", "Description", "Status", "Currency", "Legislation")
)

#: `sync/Deleted` EntityType values (picqer SyncDeleted.php)
DELETED_ACCOUNT = 2
DELETED_PAYMENT_TERM = 10

#: LineType of a receivable in `sync/Cashflow/PaymentTerms`
RECEIVABLE_LINE = 20

#: `cashflow/Receivables.Status` / `sync/Cashflow/PaymentTerms.Status`: "50 = matched - payment is
#: matched with one or more other outstanding items or financial statement lines"
STATUS_MATCHED = 50

#: `activities/Tasks.TaskType` for a phone call; `documents/Documents.Type` for a letter/misc
TASK_TYPE_CALL = 1
DOCUMENT_TYPE = 10
