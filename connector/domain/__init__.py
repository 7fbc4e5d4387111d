"""Plain domain objects shared by every layer. Imports nothing of ours."""

from connector.domain.actions import SEVERITY, Action, ActionItem, ActionKind, Channel
from connector.domain.ledger import (
    Customer,
    CustomerProfile,
    Invoice,
    InvoiceStatus,
    Payment,
    Snapshot,
    postal_address,
)
from connector.domain.money import Money

__all__ = [
    "SEVERITY",
    "Action",
    "ActionItem",
    "ActionKind",
    "Channel",
    "Customer",
    "CustomerProfile",
    "Invoice",
    "InvoiceStatus",
    "Money",
    "Payment",
    "Snapshot",
    "postal_address",
]
