"""What the planner decides and the dispatcher performs."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import date

from connector.domain.money import Money


class ActionKind(enum.StrEnum):
    """Kinds of dunning step, in rising severity (see `SEVERITY`)."""

    PRE_DUE_NOTICE = "pre_due_notice"
    REMINDER = "reminder"
    STATEMENT = "statement"
    CALL_TASK = "call_task"
    FIRM_REMINDER = "firm_reminder"
    NOTICE_OF_DEFAULT = "notice_of_default"
    FOURTEEN_DAY_LETTER = "fourteen_day_letter"
    HANDOFF = "handoff"
    THANK_YOU = "thank_you"

    @property
    def is_mail(self) -> bool:
        return self not in (ActionKind.CALL_TASK, ActionKind.HANDOFF)

    @property
    def words(self) -> str:
        """The step as people say it ("thank-you mail"), for output; the value is for files."""
        return STEP_WORDS[self]


STEP_WORDS: dict[ActionKind, str] = {
    ActionKind.PRE_DUE_NOTICE: "notice before the due date",
    ActionKind.REMINDER: "friendly reminder",
    ActionKind.STATEMENT: "account statement",
    ActionKind.CALL_TASK: "call task",
    ActionKind.FIRM_REMINDER: "firm reminder",
    ActionKind.NOTICE_OF_DEFAULT: "notice of default",
    ActionKind.FOURTEEN_DAY_LETTER: "fourteen-day letter",
    ActionKind.HANDOFF: "hand-off to collection",
    ActionKind.THANK_YOU: "thank-you mail",
}

SEVERITY: dict[ActionKind, int] = {
    ActionKind.THANK_YOU: 0,
    ActionKind.PRE_DUE_NOTICE: 1,
    ActionKind.STATEMENT: 2,
    ActionKind.REMINDER: 3,
    ActionKind.CALL_TASK: 4,
    ActionKind.FIRM_REMINDER: 5,
    ActionKind.NOTICE_OF_DEFAULT: 6,
    ActionKind.FOURTEEN_DAY_LETTER: 7,
    ActionKind.HANDOFF: 8,
}


#: the step id of a receipt check (`connector.policy.model.ReceiptCheck`): a call task or a
#: friendly mail a few days after invoicing, not a rung of the ladder
RECEIPT_CHECK_STEP = "receipt-check"

#: `Action.extra` key: the mail offers the customer a payment plan (the policy's
#: `payment_plan_offer` names the step)
PAYMENT_PLAN_OFFER = "payment_plan_offer"

#: `Action.extra` key: the mail follows a promise to pay that was not kept; the value is the day
#: the customer had promised to pay by (ISO date), which the mail names
PROMISE_BROKEN = "promise_broken"

#: the step id prefix of a "customer replied" task (`connector.replies`): ``reply:<message>``,
#: one per reply read from the client's inbox, so the outbox writes each reply's task once
REPLY_STEP_PREFIX = "reply:"

#: the step id prefix of a "customer disputes an invoice" task (`connector.disputes`):
#: ``dispute:<pause id>``, tied to the dispute pause the customer set on their own page, so
#: the outbox writes each dispute's task once however many runs see the pause
DISPUTE_STEP_PREFIX = "dispute:"


#: the step id prefix of a notice to the business (`connector.notices`): ``notify:<pause id>``
#: when a customer promises to pay or disputes an invoice on their own page, and
#: ``notify:<pause id>:broken`` when that promise was not kept; the outbox sends each once
NOTICE_STEP_PREFIX = "notify:"


class Channel(enum.StrEnum):
    LEDGER_MAIL = "ledger_mail"  # the platform sends it (Zoho)
    SMTP = "smtp"  # we send it ourselves (Exact)
    TASK = "task"  # a call task / note in the ledger
    FLAG = "flag"  # a state change (hand-off)


@dataclass(frozen=True, slots=True)
class ActionItem:
    """One invoice's part of an action: the ladder step it completes for that invoice."""

    invoice_ref: str
    step: str  # the policy step id, e.g. "reminder-1"
    balance: Money


@dataclass(frozen=True, slots=True)
class Action:
    """One thing to do for one customer, e.g. one reminder mail covering three invoices."""

    tenant: str
    customer_ref: str
    kind: ActionKind
    template: str
    planned_for: date
    items: tuple[ActionItem, ...]
    with_statement: bool = False
    channel: Channel = Channel.LEDGER_MAIL
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def idempotency_key(self) -> str:
        """Stable for the same tenant, customer, kind and (invoice, step) set; 32 hex chars."""
        parts = [self.tenant, self.customer_ref, self.kind.value]
        parts += sorted(f"{i.invoice_ref}:{i.step}" for i in self.items)
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]

    @property
    def is_receipt_check(self) -> bool:
        """A receipt check after invoicing rather than a dunning step: performed as a call
        task or a pre-due mail, but worded as asking whether the invoice arrived."""
        return bool(self.items) and all(i.step == RECEIPT_CHECK_STEP for i in self.items)

    @property
    def is_reply_task(self) -> bool:
        """A task for the business that the customer wrote back (performed as a call task,
        worded as "customer replied"), not a dunning step."""
        return bool(self.items) and all(i.step.startswith(REPLY_STEP_PREFIX) for i in self.items)

    @property
    def is_dispute_task(self) -> bool:
        """A task for the business that the customer disputes an invoice on their own page
        (performed as a call task, worded as a dispute), not a dunning step."""
        return bool(self.items) and all(i.step.startswith(DISPUTE_STEP_PREFIX) for i in self.items)

    @property
    def is_business_notice(self) -> bool:
        """A mail to the business (not the customer) about what a customer did on their own
        page, sent over the client's SMTP relay, not a dunning step (`connector.notices`)."""
        return bool(self.items) and all(i.step.startswith(NOTICE_STEP_PREFIX) for i in self.items)

    @property
    def invoice_refs(self) -> tuple[str, ...]:
        return tuple(i.invoice_ref for i in self.items)
