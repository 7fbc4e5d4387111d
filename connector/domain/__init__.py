"""Plain domain objects shared by every layer. Imports nothing of ours."""

from connector.domain.actions import SEVERITY, Action, ActionItem, ActionKind, Channel
from connector.domain.history import HistoryEntry
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
from connector.domain.pauses import Pause, PauseKind

__all__ = [
    "SEVERITY",
    "Action",
    "ActionItem",
    "ActionKind",
    "Channel",
    "Customer",
    "CustomerProfile",
    "HistoryEntry",
    "Invoice",
    "InvoiceStatus",
    "Money",
    "Pause",
    "PauseKind",
    "Payment",
    "Snapshot",
    "postal_address",
]
