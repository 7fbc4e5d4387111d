"""One declarative spec per Zoho Books resource the adapter reads or writes.

Official pages (Zoho Books API v3):
  * Contacts: https://www.zoho.com/books/api/v3/contacts/
  * Invoices: https://www.zoho.com/books/api/v3/invoices/
  * Customer payments: https://www.zoho.com/books/api/v3/customer-payments/
  * Organizations: https://www.zoho.com/books/api/v3/organizations/
  * Pagination (``page``, ``per_page`` max 200, ``page_context.has_more_page``):
    https://www.zoho.com/books/api/v3/pagination/

Paths are relative to the API base (``{api_domain}/books/v3``). Every call, parameter, body
property and response field the adapter relies on is declared below as an `Operation`
(adapters/zoho/contract.py) and checked against ``adapters/zoho/reference/zoho-books-api.json``
by ``tests/adapters/contract/test_zoho_contract.py``; the client refuses any request no operation
declares. Where the adapter relies on something the documentation does not list, the reference's
``_undocumented`` part says so and docs/zoho-books.md says what the adapter does about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.zoho.contract import Operation

MAX_PER_PAGE = 200  # Zoho's maximum and default


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A list (and detail) resource."""

    name: str
    path: str
    #: keys that may hold the list in a list answer, first match wins
    list_keys: tuple[str, ...]
    #: the key holding the object in a detail answer (``GET {path}/{id}``)
    detail_key: str
    id_field: str
    #: item field whose maximum becomes the next cursor (None: the adapter derives it)
    cursor_field: str | None
    doc_url: str
    #: query filter taking the cursor ("modified after", format ``2026-01-05T10:00:00+0100``)
    cursor_param: str = "last_modified_time"
    per_page: int = MAX_PER_PAGE
    params: dict[str, str] = field(default_factory=dict)


CONTACTS = Endpoint(
    name="contacts",
    path="/contacts",
    list_keys=("contacts",),
    detail_key="contact",
    id_field="contact_id",
    cursor_field="last_modified_time",
    doc_url="https://www.zoho.com/books/api/v3/contacts/#list-contacts",
    params={"contact_type": "customer"},
)

INVOICES = Endpoint(
    name="invoices",
    path="/invoices",
    list_keys=("invoices",),
    detail_key="invoice",
    id_field="invoice_id",
    cursor_field="last_modified_time",
    doc_url="https://www.zoho.com/books/api/v3/invoices/#list-invoices",
)

# The OpenAPI file says `customer_payments`; Zoho's own Java wrapper and most integrations read
# `customerpayments`. Accept both. `last_modified_time` on list items is not documented: the
# adapter falls back on the payment date (see ZohoLedger.iter_payments).
PAYMENTS = Endpoint(
    name="customerpayments",
    path="/customerpayments",
    list_keys=("customerpayments", "customer_payments"),
    detail_key="payment",
    id_field="payment_id",
    cursor_field="last_modified_time",
    doc_url="https://www.zoho.com/books/api/v3/customer-payments/#list-customer-payments",
)

ORGANIZATIONS = Endpoint(
    name="organizations",
    path="/organizations",
    list_keys=("organizations",),
    detail_key="organization",
    id_field="organization_id",
    cursor_field=None,
    doc_url="https://www.zoho.com/books/api/v3/organizations/",
)

INVOICE_COMMENTS_DOC = "https://www.zoho.com/books/api/v3/invoices/#list-invoice-comments-history"
PAYMENT_REMINDER_DOC = "https://www.zoho.com/books/api/v3/invoices/#email-payment-reminder"
STATEMENT_DOC = "https://www.zoho.com/books/api/v3/contacts/#email-statement"
CONTACT_EMAIL_DOC = "https://www.zoho.com/books/api/v3/contacts/#email-contact"
CONTACT_REMINDER_DOC = "https://www.zoho.com/books/api/v3/contacts/#disable-payment-reminders"


def invoice_path(invoice_id: str) -> str:
    return f"{INVOICES.path}/{_id(invoice_id)}"


def contact_path(contact_id: str) -> str:
    return f"{CONTACTS.path}/{_id(contact_id)}"


def _id(value: str) -> str:
    """Platform ids are digits; refuse anything that could change the path."""
    if not value or not all(c.isalnum() or c in "-_" for c in value):
        raise ValueError(f"not a Zoho id: {value!r}")
    return value


# -- the contract: every call the adapter makes -------------------------------------------------
ENVELOPE = ("code", "message")
PAGE = ("page_context.has_more_page", "page_context.page")
INVOICE_FIELDS = (
    "invoice_id",
    "invoice_number",
    "customer_id",
    "status",
    "date",
    "due_date",
    "currency_code",
    "total",
    "balance",
    "last_modified_time",
    "last_payment_date",
    "reminders_sent",
    "last_reminder_sent_date",
)
CONTACT_LIST_FIELDS = (
    "contact_id",
    "contact_name",
    "company_name",
    "email",
    "currency_code",
    "last_modified_time",
)
CONTACT_DETAIL_FIELDS = (
    *CONTACT_LIST_FIELDS,
    "customer_sub_type",
    "payment_reminder_enabled",
    "language_code",
    "contact_persons.is_primary_contact",
    "contact_persons.email",
    "billing_address.address",
    "billing_address.street2",
    "billing_address.zip",
    "billing_address.city",
    "billing_address.country",
)
PAYMENT_FIELDS = (
    "payment_id",
    "payment_number",
    "customer_id",
    "date",
    "amount",
    "currency_code",
    "last_modified_time",
)


def _in(key: str, names: tuple[str, ...]) -> tuple[str, ...]:
    return (key, *(f"{key}.{n}" for n in names))


GET_ORGANIZATION = Operation(
    "GET",
    "/organizations/{organization_id}",
    response=(*ENVELOPE, *_in("organization", ("organization_id", "name", "currency_code"))),
)
LIST_CONTACTS = Operation(
    "GET",
    "/contacts",
    query=("contact_type", "last_modified_time", "page", "per_page"),
    response=(*ENVELOPE, *PAGE, *_in("contacts", CONTACT_LIST_FIELDS)),
)
GET_CONTACT = Operation(
    "GET", "/contacts/{contact_id}", response=(*ENVELOPE, *_in("contact", CONTACT_DETAIL_FIELDS))
)
LIST_INVOICES = Operation(
    "GET",
    "/invoices",
    query=("customer_id", "last_modified_time", "page", "per_page"),
    response=(*ENVELOPE, *PAGE, *_in("invoices", INVOICE_FIELDS)),
)
GET_INVOICE = Operation(
    "GET",
    "/invoices/{invoice_id}",
    response=(*ENVELOPE, *_in("invoice", (*INVOICE_FIELDS, "invoice_url"))),
)
LIST_PAYMENTS = Operation(
    "GET",
    "/customerpayments",
    query=("last_modified_time", "page", "per_page"),
    response=(
        *ENVELOPE,
        *PAGE,
        *_in("customer_payments", PAYMENT_FIELDS),
        *_in("customerpayments", PAYMENT_FIELDS),
    ),
)
GET_PAYMENT = Operation(
    "GET",
    "/customerpayments/{payment_id}",
    response=(*ENVELOPE, *_in("payment", (*PAYMENT_FIELDS, "invoices", "invoices.invoice_id"))),
)
LIST_COMMENTS = Operation(
    "GET",
    "/invoices/{invoice_id}/comments",
    response=(*ENVELOPE, *_in("comments", ("description",))),
)
ADD_COMMENT = Operation(
    "POST",
    "/invoices/{invoice_id}/comments",
    body=("description", "show_comment_to_clients"),
    response=(*ENVELOPE, "comment", "comment.comment_id"),
)
MAIL_BODY = ("to_mail_ids", "cc_mail_ids", "subject", "body")
REMIND = Operation(
    "POST",
    "/invoices/{invoice_id}/paymentreminder",
    query=("send_customer_statement",),
    body=MAIL_BODY,
    response=ENVELOPE,
)
EMAIL_STATEMENT = Operation(
    "POST",
    "/contacts/{contact_id}/statements/email",
    query=("start_date", "end_date"),
    body=MAIL_BODY,
    response=ENVELOPE,
)
EMAIL_CONTACT = Operation(
    "POST",
    "/contacts/{contact_id}/email",
    body=("to_mail_ids", "subject", "body"),
    response=ENVELOPE,
)
DISABLE_CONTACT_REMINDERS = Operation(
    "POST", "/contacts/{contact_id}/paymentreminder/disable", response=ENVELOPE
)


def payment_path(payment_id: str) -> str:
    return f"{PAYMENTS.path}/{_id(payment_id)}"
