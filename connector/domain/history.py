"""What the planner knows of past actions: one entry per (action, invoice step) in the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from connector.domain.actions import ActionKind

#: outbox states in which a step counts as taken (it went out, is going out, awaits a human, or
#: a human rejected it: then the step is skipped and the ladder goes on)
TAKEN = frozenset({"pending", "sending", "sent", "review", "approval", "rejected"})


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    action_id: int
    customer_ref: str
    invoice_ref: str
    step: str
    kind: ActionKind
    status: str
    planned_for: date
    done_at: datetime | None = None

    @property
    def taken(self) -> bool:
        return self.status in TAKEN
