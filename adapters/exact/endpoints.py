"""One declarative spec per Exact Online resource the adapter reads or writes.

Paths are relative to ``{base_url}/api/v1/{division}/`` (``current/Me`` has no division).
Field lists come from Exact's reference pages as quoted by picqer's generated entity files
(/work/shared/reference/exact-online.md §5-6). Every read names its fields (`$select`): Exact
refuses many reads without one, and it keeps answers small.

Sync endpoints (``sync/…``) return 1,000 rows a page in rising ``Timestamp`` order, filtered with
``Timestamp gt {n}L``; normal endpoints return 60 rows a page. Both page with ``__next``.
"""

from __future__ import annotations

from dataclasses import dataclass

SYNC_PAGE = 1000
CRUD_PAGE = 60


@dataclass(frozen=True, slots=True)
class Endpoint:
    name: str
    path: str
    select: tuple[str, ...]
    sync: bool = False
    #: extra filter always applied (e.g. receivables only)
    filter: str | None = None

    @property
    def page_size(self) -> int:
        return SYNC_PAGE if self.sync else CRUD_PAGE

    @property
    def select_param(self) -> str:
        return ",".join(self.select)


TERM_FIELDS = (
    "ID",
    "Account",
    "Amount",
    "AmountDC",
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
)
SYNC_ACCOUNTS = Endpoint("accounts", "sync/CRM/Accounts", (*ACCOUNT_FIELDS, "Timestamp"), sync=True)
SYNC_CONTACTS = Endpoint("contacts", "sync/CRM/Contacts", (*CONTACT_FIELDS, "Timestamp"), sync=True)
SYNC_DELETED = Endpoint(
    "deleted", "sync/Deleted", ("ID", "EntityKey", "EntityType", "Timestamp"), sync=True
)

#: the same receivables, for filtered reads of one account or a batch of ids
RECEIVABLES = Endpoint("receivables", "cashflow/Receivables", TERM_FIELDS)
ACCOUNTS = Endpoint("accounts", "crm/Accounts", ACCOUNT_FIELDS)
CONTACTS = Endpoint("contacts", "crm/Contacts", CONTACT_FIELDS)
NOTES = Endpoint(
    "communication notes",
    "activities/CommunicationNotes",
    ("ID", "Account", "Subject", "Notes", "Created"),
)
TASKS = Endpoint("tasks", "activities/Tasks", ("ID", "Account", "Description", "Notes", "Created"))
DOCUMENTS_PATH = "documents/Documents"
ATTACHMENTS_PATH = "documents/DocumentAttachments"

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

#: `activities/Tasks.TaskType` for a phone call; `documents/Documents.Type` for a letter/misc
TASK_TYPE_CALL = 1
DOCUMENT_TYPE = 10
