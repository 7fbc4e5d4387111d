"""Doc-shaped JSON builders and constants for the Zoho adapter tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

API = "https://www.zohoapis.eu/books/v3"
ACCOUNTS = "https://accounts.zoho.eu"
ORG = "20061234567"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CLIENT_SECRET = "client-secret-SHOULD-NOT-LEAK"
REFRESH = "1000.refresh-SHOULD-NOT-LEAK"
ACCESS = "1000.access-0-SHOULD-NOT-LEAK"


def envelope(**body: Any) -> dict[str, Any]:
    return {"code": 0, "message": "success", **body}


def page_ctx(page: int, more: bool) -> dict[str, Any]:
    return {
        "page": page,
        "per_page": 200,
        "has_more_page": more,
        "report_name": "Invoices",
        "applied_filter": "Status.All",
        "sort_column": "created_time",
        "sort_order": "D",
    }


def invoice(n: int, **over: Any) -> dict[str, Any]:
    """A list item shaped like the doc example (string amounts, +0100 timestamps)."""
    item: dict[str, Any] = {
        "invoice_id": f"46000000000{n:04d}",
        "customer_name": "Bowman and Co",
        "customer_id": "460000000000111",
        "status": "overdue",
        "invoice_number": f"INV-{n:05d}",
        "reference_number": "",
        "date": "2025-12-01",
        "due_date": "2025-12-15",
        "due_days": "Overdue by 21 day(s)",
        "currency_id": "460000000000099",
        "currency_code": "EUR",
        "total": "121.00",
        "balance": "121.00",
        "created_time": "2025-12-01T10:00:00+0100",
        "last_modified_time": "2026-01-05T09:00:00+0100",
        "is_emailed": True,
        "reminders_sent": 1,
        "last_reminder_sent_date": "2025-12-20",
        "payment_expected_date": "",
        "last_payment_date": "",
    }
    item.update(over)
    return item


def contact(n: int, **over: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "contact_id": f"46000000000{n:04d}",
        "contact_name": f"Customer {n}",
        "company_name": f"Customer {n} B.V.",
        "contact_type": "customer",
        "status": "active",
        "currency_code": "EUR",
        "outstanding_receivable_amount": 250.0,
        "email": f"ap{n}@example.nl",
        "created_time": "2025-01-01T10:00:00+0100",
        "last_modified_time": "2026-01-04T12:00:00+01:00",
    }
    item.update(over)
    return item


def payment(n: int, **over: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "payment_id": f"46000000009{n:04d}",
        "payment_number": str(n),
        "invoice_numbers": "INV-00001",
        "customer_id": "460000000000111",
        "customer_name": "Bowman and Co",
        "date": "2026-01-02",
        "payment_mode": "banktransfer",
        "amount": "121.00",
        "bcy_amount": "121.00",
        "unused_amount": "",
        "currency_code": "EUR",
    }
    item.update(over)
    return item
