"""One declarative spec per Zoho Books resource the adapter reads or writes.

Official pages (Zoho Books API v3):
  * Contacts: https://www.zoho.com/books/api/v3/contacts/
  * Invoices: https://www.zoho.com/books/api/v3/invoices/
  * Customer payments: https://www.zoho.com/books/api/v3/customer-payments/
  * Organizations: https://www.zoho.com/books/api/v3/organizations/
  * Pagination (``page``, ``per_page`` max 200, ``page_context.has_more_page``):
    https://www.zoho.com/books/api/v3/pagination/

Paths are relative to the API base (``{api_domain}/books/v3``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
