"""One declarative spec per Moneybird endpoint the adapter calls and per record it reads.

Paths are relative to ``{api_url}/api/v2/{administration_id}/`` and get the format suffix
``.json`` (``administrations`` has no administration id). Every name here must be in Moneybird's
documentation as kept in ``adapters/moneybird/reference/moneybird-fields.json`` (see
adapters/moneybird/contract.py): each `Endpoint` and `Record` registers itself in the contract
when created; query parameters (`Endpoint.query`), ``filter`` values (`Endpoint.filter`) and
bodies (`Endpoint.body`) are built only from declared names, and records are read only through
`Record.get`. ``tests/adapters/moneybird`` checks them all.

The read side syncs through the synchronization endpoints (ids and versions, then the changed
records 100 ids per POST): the sales-invoice list defaults to ``period:this_year`` and would miss
older open invoices.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from adapters.moneybird.contract import (
    BODY,
    FILTER,
    MONEYBIRD,
    PARAMETER,
    READ,
    RETURNS,
    Contract,
    Use,
)

#: "Returns a maximum of 100 invoice, even if more ids are provided" (synchronization POST)
SYNC_BATCH = 100
#: the largest documented `per_page`
PAGE_SIZE = 100


class UndeclaredField(ValueError):
    """A parameter, filter key, body property or record property its declaration does not list."""


@dataclass(frozen=True, slots=True)
class Record:
    """A record the adapter reads (``sales_invoice``, ``contact``...), and the properties the
    mapping may take from it."""

    name: str
    fields: tuple[str, ...]
    contract: Contract = field(default=MONEYBIRD, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.contract.register(self)

    def get(self, row: Mapping[str, Any], name: str) -> Any:
        """`row[name]` (None when absent); refuses a property this record does not declare."""
        if name not in self.fields:
            raise UndeclaredField(f"{self.name}: '{name}' is not a declared property")
        return row.get(name)

    def uses(self) -> Iterable[Use]:
        for name in self.fields:
            yield Use(self.name, name, READ, f"record {self.name}")


#: what a filter value may hold: no ``,`` (separates keys) and no ``:`` outside a time
_FILTER_VALUE = re.compile(r"^[A-Za-z0-9_.|+\-]+$|^\d{4}-\d{2}-\d{2}T[0-9:.+\-]+Z?$")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One call: `method` and `path` (``{id}``-style placeholders), the query `parameters` and
    ``filter`` keys it may send, the `body` properties (dotted: ``note.todo``,
    ``sales_invoice_reminders[].contact_id``) and the record it answers with."""

    name: str
    method: str
    path: str
    returns: Record | None = None
    parameters: tuple[str, ...] = ()
    filter_keys: tuple[str, ...] = ()
    body_fields: tuple[str, ...] = ()
    administration: bool = True
    #: a POST that can be sent twice with the same effect (fetching by id, pausing): retried
    #: like a read (429 waited out, 5xx tried again)
    idempotent: bool = False
    contract: Contract = field(default=MONEYBIRD, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.contract.register(self)

    @property
    def reads(self) -> bool:
        """Only reads (a GET, or fetching records by id): counted against the reads' share."""
        return self.method == "GET" or self.path.endswith("/synchronization")

    @property
    def key(self) -> str:
        """``METHOD path``, the endpoint's name in the reference."""
        return f"{self.method} {self.path}"

    def url_path(self, **ids: str) -> str:
        """The path with its placeholders filled (ids must be digits) and ``.json``."""
        values: dict[str, str] = {}
        for name, value in ids.items():
            if not str(value).isdigit():
                raise ValueError(f"{self.path}: {name} must be a Moneybird id (digits)")
            values[name] = str(value)
        return self.path.format(**values) + ".json"

    def query(self, values: Mapping[str, Any]) -> dict[str, str]:
        """Query parameters, only declared ones."""
        for name in values:
            if name not in self.parameters:
                raise UndeclaredField(f"{self.key}: '{name}' is not a declared query parameter")
        return {name: str(value) for name, value in values.items()}

    def filter(self, values: Mapping[str, str]) -> str:
        """The ``filter`` value (``state:open|late,updated_after:...``) from declared keys only;
        a value that could smuggle in another key is refused."""
        parts: list[str] = []
        for key, value in values.items():
            if key not in self.filter_keys:
                raise UndeclaredField(f"{self.key}: '{key}' is not a declared filter key")
            if not _FILTER_VALUE.match(value):
                raise ValueError(f"{self.key}: filter {key}: not a plain value: {value[:40]!r}")
            parts.append(f"{key}:{value}")
        return ",".join(parts)

    def body(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """`values` as the request body; refuses a property (at any depth) not declared."""
        self._check(values, "")
        return dict(values)

    def _check(self, values: Mapping[str, Any], prefix: str) -> None:
        for name, value in values.items():
            path = f"{prefix}{name}"
            if path not in self.body_fields:
                raise UndeclaredField(f"{self.key}: '{path}' is not a declared body property")
            if isinstance(value, Mapping):
                self._check(value, f"{path}.")
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, Mapping):
                        self._check(item, f"{path}[].")

    def uses(self) -> Iterable[Use]:
        who = f"endpoint {self.name}"
        yield Use(self.key, self.returns.name if self.returns else "", RETURNS, who)
        for how, names in (
            (PARAMETER, self.parameters),
            (FILTER, self.filter_keys),
            (BODY, self.body_fields),
        ):
            for name in names:
                yield Use(self.key, name, how, who)


# -- the records the mapping reads -----------------------------------------------------------
SALES_INVOICE = Record(
    "sales_invoice",
    (
        "id",
        "contact_id",
        "invoice_id",
        "state",
        "invoice_date",
        "due_date",
        "currency",
        "total_price_incl_tax",
        "total_unpaid",
        "payments",
        "payment_url",
        "paused",
        "reminder_count",
        "version",
        "updated_at",
        # what send_reminders takes from the invoice unless the client file names its own
        "workflow_id",
        "identity_id",
        "document_style_id",
        # the notes on the invoice: `reconcile` looks for the connector's marker
        "notes",
    ),
)
PAYMENT = Record(
    "payment", ("id", "invoice_id", "invoice_type", "payment_date", "price", "updated_at")
)
CONTACT = Record(
    "contact",
    (
        "id",
        "company_name",
        "firstname",
        "lastname",
        "email",
        "send_invoices_to_email",
        "customer_id",
        "address1",
        "address2",
        "zipcode",
        "city",
        "country",
        "version",
        "updated_at",
        # the notes on the contact: `reconcile` looks for the connector's marker
        "notes",
    ),
)
SYNC_VERSION = Record("sync_version", ("id", "version"))
ADMINISTRATION = Record("administration", ("id", "name", "currency", "country", "time_zone"))
NOTE = Record("note", ("id", "note", "todo"))
WEBHOOK = Record("webhook", ("id", "url", "enabled_events"))

# -- the endpoints -----------------------------------------------------------------------------
ADMINISTRATIONS = Endpoint(
    "administrations", "GET", "administrations", ADMINISTRATION, administration=False
)
SALES_INVOICE_VERSIONS = Endpoint(
    "sales invoice ids and versions",
    "GET",
    "sales_invoices/synchronization",
    SYNC_VERSION,
    parameters=("filter",),
    # changelog 2020-10-27: the incremental sync lists only what changed since its cursor
    filter_keys=("updated_after",),
)
SALES_INVOICES_BY_ID = Endpoint(
    "sales invoices by id",
    "POST",
    "sales_invoices/synchronization",
    SALES_INVOICE,
    body_fields=("ids",),
    idempotent=True,
)
SALES_INVOICES = Endpoint(
    "sales invoices",
    "GET",
    "sales_invoices",
    SALES_INVOICE,
    parameters=("filter", "page", "per_page"),
    filter_keys=("state", "period", "contact_id", "updated_after"),
)
SALES_INVOICE_BY_ID = Endpoint("sales invoice", "GET", "sales_invoices/{id}", SALES_INVOICE)
CONTACT_VERSIONS = Endpoint(
    "contact ids and versions",
    "GET",
    "contacts/synchronization",
    SYNC_VERSION,
    parameters=("include_archived",),
)
CONTACTS_BY_ID = Endpoint(
    "contacts by id",
    "POST",
    "contacts/synchronization",
    CONTACT,
    body_fields=("ids",),
    idempotent=True,
)
CONTACT_BY_ID = Endpoint("contact", "GET", "contacts/{id}", CONTACT)

# write-backs (adapters/moneybird/writeback.py and adapter.py)
SEND_REMINDERS = Endpoint(
    "send reminders",
    "POST",
    "sales_invoices/send_reminders",
    None,
    body_fields=(
        "sales_invoice_reminders",
        "sales_invoice_reminders[].contact_id",
        "sales_invoice_reminders[].workflow_id",
        "sales_invoice_reminders[].document_style_id",
        "sales_invoice_reminders[].identity_id",
        "sales_invoice_reminders[].sales_invoice_ids",
        "sales_invoice_reminders[].reminder_text",
        "sales_invoice_reminders[].delivery_method",
        "sales_invoice_reminders[].email_address",
    ),
)
PAUSE = Endpoint(
    "pause the workflow", "POST", "sales_invoices/{id}/pause", SALES_INVOICE, idempotent=True
)
RESUME = Endpoint(
    "resume the workflow", "POST", "sales_invoices/{id}/resume", SALES_INVOICE, idempotent=True
)
_NOTE_BODY = ("note", "note.note", "note.todo", "note.assignee_id")
INVOICE_NOTE = Endpoint(
    "note on a sales invoice",
    "POST",
    "sales_invoices/{sales_invoice_id}/notes",
    NOTE,
    body_fields=_NOTE_BODY,
)
CONTACT_NOTE = Endpoint(
    "note on a contact", "POST", "contacts/{contact_id}/notes", NOTE, body_fields=_NOTE_BODY
)

# webhooks (https://developer.moneybird.com/api/webhooks): `dunning moneybird webhooks …`
WEBHOOKS = Endpoint("webhooks", "GET", "webhooks", WEBHOOK)
ADD_WEBHOOK = Endpoint(
    "add a webhook", "POST", "webhooks", WEBHOOK, body_fields=("url", "enabled_events")
)

#: `sales_invoice.state` values (the documented enum) and what the connector makes of them
DUNNABLE_STATES = ("open", "late", "reminded")
#: a payment is under way (e.g. a direct debit): open, but nothing to remind of (as Exact's
#: amount in transit is not dunned)
PENDING_STATES = ("pending_payment",)
PAID_STATES = ("paid",)
VOID_STATES = ("uncollectible",)
NEVER_DUNNED_STATES = ("draft", "scheduled")
STATES = (*NEVER_DUNNED_STATES, *DUNNABLE_STATES, *PENDING_STATES, *PAID_STATES, *VOID_STATES)
