"""Which Exact endpoints the sandbox serves and how each shows its records (name -> getter).

Every resource's properties are generated from Exact's reference as kept in
``adapters/exact/reference/exact-fields.json`` (the list the adapter's contract is checked
against): a resource shows exactly the documented properties, those the sandbox has no data for
as null, and a getter for a name the reference does not list fails at import. So the sandbox
cannot accept a property Exact would refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from adapters.exact.contract import reference
from sandboxes.exact.state import Account, Contact, Deleted, PaymentTerm, Written

Getter = Callable[[Any], Any]

# Exact's own list, from its 400 answer (picqer#591)
_ACCOUNT_FILTER_TEXT = (
    "Accountant,AccountManager,AddressLine1,AddressLine2,AddressLine3,Blocked,BRIN,BSN,"
    "ChamberOfCommerce,City,Classification1,Classification2,Classification3,Classification4,"
    "Classification5,Classification6,Classification7,Classification8,Classification,Code,"
    "CodeAtSupplier,Country,Created,Email,EndDate,Fax,ID,InvoiceAccount,IsAccountant,IsReseller,"
    "IsSales,IsSupplier,MainContact,Modified,Name,Parent,Phone,Postcode,PriceList,Reseller,RSIN,"
    "SearchCode,StartDate,Status,Type,VATNumber"
)
ACCOUNT_FILTER_FIELDS = frozenset(_ACCOUNT_FILTER_TEXT.split(","))
CONTACT_FILTER_FIELDS = frozenset(
    {
        "Account",
        "BusinessEmail",
        "Code",
        "Created",
        "Email",
        "FirstName",
        "FullName",
        "ID",
        "LastName",
        "Modified",
        "Phone",
    }
)


def documented(path: str, getters: Mapping[str, Getter]) -> dict[str, Getter]:
    """The reference's properties of `path`, each shown by its getter or as null; refuses a
    getter for a property the reference does not list (the sandbox cannot drift from it)."""
    known = reference().fields.get(path)
    if known is None:
        raise ValueError(f"{path} is not a resource in Exact's reference")
    extra = sorted(set(getters) - known)
    if extra:
        raise ValueError(f"{path}: not in Exact's reference: {', '.join(extra)}")
    out: dict[str, Getter] = dict.fromkeys(sorted(known), NULL)
    out.update(getters)
    return out


def NULL(record: Any) -> Any:
    """The getter of a documented property the sandbox keeps no data for."""
    return None


@dataclass(frozen=True)
class Entity:
    path: str  # as in the URL after the division, e.g. "crm/Accounts"
    table: str  # DivisionData table
    type_name: str
    fields: Mapping[str, Getter]
    key: str = "ID"
    key_kind: str = "guid"  # how the key shows in skiptoken / key URLs: guid or int
    sync: bool = False
    select_required: bool = True
    mandatory_filter: frozenset[str] | None = None
    #: URL parameters of a function resource (``accountId`` of ReceivablesListByAccount)
    parameters: tuple[str, ...] = ()
    include: Callable[[Any], bool] | None = None  # which records of the table the endpoint shows
    writable: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    write_only: frozenset[str] = field(default_factory=frozenset)
    #: ``DELETE path(guid'…')`` removes a record (only webhook subscriptions here)
    deletable: bool = False


def _account_fields(sync: bool) -> dict[str, Getter]:
    f: dict[str, Getter] = {
        "ID": lambda a: a.id,
        "Code": lambda a: a.code,
        "Name": lambda a: a.name,
        "Email": lambda a: a.email,
        "Phone": lambda a: a.phone,
        "Status": lambda a: a.status,
        "IsSales": lambda a: a.is_sales,
        "IsSupplier": lambda a: a.is_supplier,
        "Blocked": lambda a: a.blocked,
        "Language": lambda a: a.language,
        "Country": lambda a: a.country,
        "City": lambda a: a.city,
        "AddressLine1": lambda a: a.address_line1,
        "Postcode": lambda a: a.postcode,
        "VATNumber": lambda a: a.vat_number,
        "ChamberOfCommerce": lambda a: a.chamber_of_commerce,
        "MainContact": lambda a: a.main_contact,
        "PaymentConditionSales": lambda a: a.payment_condition,
        "Created": lambda a: a.created,
        "Modified": lambda a: a.modified,
    }
    if sync:
        f["Timestamp"] = lambda a: a.timestamp
    return f


def _contact_fields(sync: bool) -> dict[str, Getter]:
    f: dict[str, Getter] = {
        "ID": lambda c: c.id,
        "Account": lambda c: c.account,
        "FirstName": lambda c: c.first_name,
        "LastName": lambda c: c.last_name,
        "FullName": lambda c: f"{c.first_name} {c.last_name}".strip(),
        "Email": lambda c: c.email,
        "BusinessEmail": lambda c: c.email,
        "Phone": lambda c: c.phone,
        "IsMainContact": lambda c: c.is_main,
        "Language": lambda c: c.language,
        "Created": lambda c: c.created,
        "Modified": lambda c: c.modified,
    }
    if sync:
        f["Timestamp"] = lambda c: c.timestamp
    return f


def _term_fields(sync: bool) -> dict[str, Getter]:
    f: dict[str, Getter] = {
        "ID": lambda t: t.id,
        "Account": lambda t: t.account,
        "AmountDC": lambda t: t.amount_dc,
        "AmountFC": lambda t: t.amount_dc,
        "TransactionAmountDC": lambda t: t.amount_dc,
        "TransactionAmountFC": lambda t: t.amount_dc,
        "Currency": lambda t: t.currency,
        "Description": lambda t: t.description,
        "DueDate": lambda t: t.due_date,
        "TransactionDueDate": lambda t: t.due_date,
        "EntryDate": lambda t: t.invoice_date,
        "EntryID": lambda t: t.entry_id,
        "TransactionEntryID": lambda t: t.entry_id,
        "EntryNumber": lambda t: t.entry_number,
        "InvoiceDate": lambda t: t.invoice_date,
        "InvoiceNumber": lambda t: t.invoice_number,
        "IsFullyPaid": lambda t: t.is_fully_paid,
        "LastPaymentDate": lambda t: t.last_payment_date,
        "Status": lambda t: t.status,
        "YourRef": lambda t: t.your_ref,
        "PaymentCondition": lambda t: "30",
        "Journal": lambda t: "70",
        "TransactionType": lambda t: 20,
        "Created": lambda t: t.created,
        "Modified": lambda t: t.modified,
        "EndDate": lambda t: t.last_payment_date if t.is_fully_paid else None,
    }
    if sync:
        f["LineType"] = lambda t: t.line_type
        f["Timestamp"] = lambda t: t.timestamp
    return f


def _receivables_list_fields(accounts: Callable[[str], Account | None]) -> dict[str, Getter]:
    def acc(t: PaymentTerm) -> Account | None:
        return accounts(t.account)

    return {
        "HID": lambda t: t.hid,
        "AccountId": lambda t: t.account,
        "AccountCode": lambda t: a.code if (a := acc(t)) else None,
        "AccountName": lambda t: a.name if (a := acc(t)) else None,
        "Amount": lambda t: t.open_amount,
        "AmountInTransit": lambda t: 0,
        "CurrencyCode": lambda t: t.currency,
        "Description": lambda t: t.description,
        "DueDate": lambda t: t.due_date,
        "EntryNumber": lambda t: t.entry_number,
        "InvoiceDate": lambda t: t.invoice_date,
        "InvoiceNumber": lambda t: t.invoice_number,
        "JournalCode": lambda t: "70",
        "YourRef": lambda t: t.your_ref,
    }


_DELETED_FIELDS: dict[str, Getter] = {
    "ID": lambda d: d.id,
    "EntityKey": lambda d: d.entity_key,
    "EntityType": lambda d: d.entity_type,
    "DeletedBy": lambda d: d.deleted_by,
    "DeletedDate": lambda d: d.created,
    "Division": lambda d: d.division,
    "Timestamp": lambda d: d.timestamp,
}


def _written_fields(names: tuple[str, ...]) -> dict[str, Getter]:
    def getter(name: str) -> Getter:
        return lambda w: w.fields.get(name)

    f: dict[str, Getter] = {name: getter(name) for name in names}
    f.update(
        {
            "ID": lambda w: w.id,
            "Created": lambda w: w.created,
            "Modified": lambda w: w.modified,
            "Creator": lambda w: w.creator,
        }
    )
    return f


NOTE_FIELDS = ("Account", "Contact", "Subject", "Notes", "Date", "Document", "User", "Opportunity")
DOCUMENT_FIELDS = (
    "Subject",
    "Type",
    "Account",
    "Contact",
    "DocumentDate",
    "Body",
    "Category",
    "FinancialTransactionEntryID",
    "SalesInvoiceNumber",
    "Language",
)
ATTACHMENT_FIELDS = ("Document", "FileName", "Attachment")
TASK_FIELDS = (
    "Account",
    "Contact",
    "Description",
    "Notes",
    "ActionDate",
    "TaskType",
    "CustomTaskType",
    "User",
    "Status",
    "Document",
    "Opportunity",
)

#: ``webhooks/WebhookSubscriptions``: created with Topic and CallbackURL (picqer's
#: WebhookSubscription.php)
WEBHOOK_FIELDS = ("Topic", "CallbackURL")


def entities(accounts: Callable[[str], Account | None]) -> dict[str, Entity]:
    is_open: Callable[[Any], bool] = lambda t: not t.is_fully_paid and t.open_amount != 0  # noqa: E731
    attachment_fields: dict[str, Getter] = {
        "ID": lambda w: w.id,
        "Document": lambda w: w.fields.get("Document"),
        "FileName": lambda w: w.fields.get("FileName"),
        "FileSize": lambda w: w.fields.get("FileSize"),
        "Url": lambda w: w.fields.get("Url"),
    }
    items = [
        Entity(
            "crm/Accounts",
            "accounts",
            "Exact.Web.Api.Models.Account",
            _account_fields(False),
            mandatory_filter=ACCOUNT_FILTER_FIELDS,
        ),
        Entity(
            "crm/Contacts",
            "contacts",
            "Exact.Web.Api.Models.Contact",
            _contact_fields(False),
            mandatory_filter=CONTACT_FILTER_FIELDS,
        ),
        Entity(
            "cashflow/Receivables",
            "terms",
            "Exact.Web.Api.Models.Cashflow.Receivable",
            _term_fields(False),
        ),
        Entity(
            "read/financial/ReceivablesList",
            "terms",
            "Exact.Web.Api.Models.Financial.ReceivablesList",
            _receivables_list_fields(accounts),
            key="HID",
            key_kind="int",
            select_required=False,
            include=is_open,
        ),
        Entity(
            "read/financial/ReceivablesListByAccount",
            "terms",
            "Exact.Web.Api.Models.Financial.ReceivablesListByAccount",
            _receivables_list_fields(accounts),
            key="HID",
            key_kind="int",
            select_required=False,
            include=is_open,
            parameters=("accountId",),
        ),
        Entity(
            "sync/Cashflow/PaymentTerms",
            "terms",
            "Exact.Web.Api.Models.Sync.Cashflow.PaymentTerm",
            _term_fields(True),
            sync=True,
        ),
        Entity(
            "sync/CRM/Accounts",
            "accounts",
            "Exact.Web.Api.Models.Sync.CRM.Account",
            _account_fields(True),
            sync=True,
        ),
        Entity(
            "sync/CRM/Contacts",
            "contacts",
            "Exact.Web.Api.Models.Sync.CRM.Contact",
            _contact_fields(True),
            sync=True,
        ),
        Entity(
            "sync/Deleted",
            "deleted",
            "Exact.Web.Api.Models.Sync.Deleted",
            _DELETED_FIELDS,
            sync=True,
        ),
        Entity(
            "activities/CommunicationNotes",
            "notes",
            "Exact.Web.Api.Models.Activities.CommunicationNote",
            _written_fields(NOTE_FIELDS),
            writable=NOTE_FIELDS,
            required=("Subject",),
        ),
        Entity(
            "documents/Documents",
            "documents",
            "Exact.Web.Api.Models.Documents.Document",
            _written_fields(DOCUMENT_FIELDS),
            writable=DOCUMENT_FIELDS,
            required=("Subject", "Type"),
        ),
        Entity(
            "documents/DocumentAttachments",
            "attachments",
            "Exact.Web.Api.Models.Documents.DocumentAttachment",
            attachment_fields,
            writable=ATTACHMENT_FIELDS,
            required=("Document", "FileName", "Attachment"),
        ),
        Entity(
            "activities/Tasks",
            "tasks",
            "Exact.Web.Api.Models.Activities.Task",
            _written_fields(TASK_FIELDS),
            writable=TASK_FIELDS,
            required=("Description",),
            write_only=frozenset({"TaskType"}),
        ),
        Entity(
            "webhooks/WebhookSubscriptions",
            "webhooks",
            "Exact.Web.Api.Models.Webhooks.WebhookSubscription",
            {
                "ID": lambda w: w.id,
                "Topic": lambda w: w.fields.get("Topic"),
                "CallbackURL": lambda w: w.fields.get("CallbackURL"),
                "Division": lambda w: w.fields.get("Division"),
                "Created": lambda w: w.created,
                "Creator": lambda w: w.creator,
                "UserID": lambda w: w.creator,
            },
            writable=WEBHOOK_FIELDS,
            required=WEBHOOK_FIELDS,
            deletable=True,
        ),
    ]
    return {e.path: _checked(e) for e in items}


def _checked(entity: Entity) -> Entity:
    """`entity` showing the reference's properties; its writable ones must be documented too."""
    fields = documented(entity.path, entity.fields)
    undocumented = sorted(set(entity.writable) - set(fields))
    if undocumented:
        raise ValueError(f"{entity.path}: writable but not documented: {', '.join(undocumented)}")
    return replace(entity, fields=fields)


__all__ = ["NULL", "Contact", "Deleted", "Entity", "Written", "documented", "entities"]
