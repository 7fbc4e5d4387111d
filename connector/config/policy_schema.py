"""The YAML form of a dunning policy, its validation, and conversion to `Policy`.

A consultant writes (or copies from the built-ins in `connector/policy/ladders/`)::

    name: wholesale-30
    min_balance: 25
    thank_you: reminded          # reminded | every | never
    steps:
      - {id: heads-up, kind: pre_due_notice, days: -3, template: pre_due_notice}
      - {id: reminder, kind: reminder, days: 7, template: reminder, with_statement: true}
      - {id: call, kind: call_task, days: 7, from: previous, template: call,
         when: {min_balance: 500, profiles: [business]}}
      - {id: final, kind: notice_of_default, days: 14, from: previous,
         template: notice_of_default, late_fee: {percent: 2}}
    receipt_check: {days: 3, min_total: 5000, channel: task}   # optional
    payment_plan_offer: second   # optional: first | second reminder offers a payment plan

`days` counts from the due date (negative: before it) or, with ``from: previous``, from the
previous step. `receipt_check` is not a step of the ladder: it counts from the invoice date and
asks, once per large invoice and before anything is overdue, whether the invoice arrived (a call
task, or with ``channel: ledger_mail``/``smtp`` a short friendly mail; template
``receipt_check`` unless named).

`payment_plan_offer` puts an offer of a payment plan in the mail of the ladder's first or second
reminder (the first or second step of kind reminder or firm_reminder), with the customer's page
where there is one, else asking the customer to reply or call. A client gives each kind of
customer its own policy (`policies:`), so the offer is chosen per profile.

Validation rejects what would make a ladder wrong at run time, naming the file, the
key (``steps.2.days``) and the line: steps out of order or on the same day, unknown action kinds,
templates that do not exist, a channel the kind cannot use, thank-you as a ladder step. The
checks run at load time, so `dunning doctor` reports them before any run.
"""

from __future__ import annotations

import re
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connector.config.errors import ConfigError
from connector.config.loader import read_yaml_document, validate_document
from connector.config.models import KeyRuleError
from connector.domain import ActionKind, Channel, CustomerProfile
from connector.domain.actions import RECEIPT_CHECK_STEP
from connector.policy.model import ALWAYS, Conditions, LateFee, Policy, ReceiptCheck, Step

#: kinds a ladder step may have (thank-you is not a step: it follows payments, see `thank_you`)
StepKind = Literal[
    "pre_due_notice",
    "reminder",
    "statement",
    "call_task",
    "firm_reminder",
    "notice_of_default",
    "fourteen_day_letter",
    "handoff",
]
ProfileName = Literal["business", "consumer", "government"]
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")

_MAIL_CHANNELS = frozenset({Channel.LEDGER_MAIL, Channel.SMTP})
_CHANNELS_FOR: dict[ActionKind, frozenset[Channel]] = {
    ActionKind.CALL_TASK: frozenset({Channel.TASK}),
    ActionKind.HANDOFF: frozenset({Channel.FLAG}),
}


#: the kinds of step a payment-plan offer can go in ("the first or second reminder")
_OFFER_KINDS = frozenset({"reminder", "firm_reminder"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConditionsModel(_Model):
    min_balance: Annotated[Decimal, Field(ge=0)] | None = None
    profiles: tuple[ProfileName, ...] = ()
    currencies: tuple[Annotated[str, Field(pattern=r"^[A-Z]{3}$")], ...] = ()


class LateFeeModel(_Model):
    percent: Annotated[Decimal, Field(gt=0, le=100)] | None = None
    fixed: Annotated[Decimal, Field(gt=0)] | None = None

    @model_validator(mode="after")
    def _one(self) -> LateFeeModel:
        if (self.percent is None) == (self.fixed is None):
            raise KeyRuleError("give exactly one of 'percent' or 'fixed'", "percent")
        return self


class StepModel(_Model):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str
    kind: StepKind
    days: int
    from_: Literal["due", "previous"] = Field(default="due", alias="from")
    template: Annotated[str, Field(min_length=1)]
    channel: Literal["ledger_mail", "smtp", "task", "flag"] | None = None
    with_statement: bool = False
    when: ConditionsModel | None = None
    late_fee: LateFeeModel | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("use lowercase letters, digits and '-' (e.g. firm-reminder)")
        return value

    @model_validator(mode="after")
    def _channel_fits(self) -> StepModel:
        if self.channel is None:
            return self
        kind = ActionKind(self.kind)
        allowed = _CHANNELS_FOR.get(kind, _MAIL_CHANNELS)
        if Channel(self.channel) not in allowed:
            raise KeyRuleError(
                f"a {self.kind} step cannot use channel {self.channel}; "
                f"use {' or '.join(sorted(allowed))}",
                "channel",
            )
        return self


class ReceiptCheckModel(_Model):
    days: Annotated[int, Field(ge=0)]
    min_total: Annotated[Decimal, Field(ge=0)]
    channel: Literal["task", "ledger_mail", "smtp"] = "task"
    template: Annotated[str, Field(min_length=1)] = "receipt_check"

    def to_check(self) -> ReceiptCheck:
        return ReceiptCheck(self.days, self.min_total, self.template, Channel(self.channel))


class PolicyModel(_Model):
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    min_balance: Annotated[Decimal, Field(ge=0)] = Decimal("5.00")
    thank_you: Literal["reminded", "every", "never"] = "reminded"
    thank_you_template: Annotated[str, Field(min_length=1)] = "thank_you"
    thank_you_within_days: Annotated[int, Field(ge=0)] = 14
    max_failed_attempts: Annotated[int, Field(ge=1)] = 3
    steps: Annotated[tuple[StepModel, ...], Field(min_length=1)]
    receipt_check: ReceiptCheckModel | None = None
    payment_plan_offer: Literal["first", "second"] | None = None

    def plan_offer_step(self) -> int | None:
        """The index of the step whose mail offers a payment plan, if any."""
        if self.payment_plan_offer is None:
            return None
        reminders = [i for i, s in enumerate(self.steps) if s.kind in _OFFER_KINDS]
        n = 0 if self.payment_plan_offer == "first" else 1
        return reminders[n] if n < len(reminders) else None

    @model_validator(mode="after")
    def _offer_has_its_reminder(self) -> PolicyModel:
        if self.payment_plan_offer is not None and self.plan_offer_step() is None:
            raise KeyRuleError(
                f"the ladder has no {self.payment_plan_offer} reminder (a step of kind reminder "
                "or firm_reminder) to put the payment-plan offer in",
                "payment_plan_offer",
            )
        return self

    @model_validator(mode="after")
    def _ladder(self) -> PolicyModel:
        seen: dict[str, int] = {}
        previous: int | None = None
        for i, step in enumerate(self.steps):
            if step.id in seen:
                raise KeyRuleError(
                    f"step id {step.id!r} is used twice (also steps.{seen[step.id]}.id)",
                    f"steps.{i}.id",
                )
            if step.id == RECEIPT_CHECK_STEP:
                raise KeyRuleError(
                    f"step id {step.id!r} is kept for the receipt check (receipt_check)",
                    f"steps.{i}.id",
                )
            seen[step.id] = i
            if step.from_ == "previous":
                if previous is None:
                    raise KeyRuleError(
                        "the first step has no previous step: count its days from the due date",
                        f"steps.{i}.from",
                    )
                if step.days < 1:
                    raise KeyRuleError(
                        "a step counted from the previous one must come at least 1 day later",
                        f"steps.{i}.days",
                    )
                offset = previous + step.days
            else:
                offset = step.days
                if previous is not None and offset <= previous:
                    raise KeyRuleError(
                        f"steps must be in order, one per day: this step is at day {offset} "
                        f"after the due date, not after the previous step (day {previous})",
                        f"steps.{i}.days",
                    )
            previous = offset
        return self

    def absolute_offsets(self) -> list[int]:
        out: list[int] = []
        for step in self.steps:
            out.append(out[-1] + step.days if step.from_ == "previous" and out else step.days)
        return out

    def to_policy(self) -> Policy:
        steps = []
        offer = self.plan_offer_step()
        for n, (step, offset) in enumerate(zip(self.steps, self.absolute_offsets(), strict=True)):
            conditions = ALWAYS
            if step.when is not None:
                conditions = Conditions(
                    min_balance=step.when.min_balance,
                    profiles=frozenset(CustomerProfile(p) for p in step.when.profiles),
                    currencies=frozenset(step.when.currencies),
                )
            fee = None
            if step.late_fee is not None:
                fee = LateFee(percent=step.late_fee.percent, fixed=step.late_fee.fixed)
            steps.append(
                Step(
                    id=step.id,
                    kind=ActionKind(step.kind),
                    offset_days=offset,
                    template=step.template,
                    with_statement=step.with_statement,
                    channel=Channel(step.channel) if step.channel else None,
                    after_previous=step.days if step.from_ == "previous" else None,
                    conditions=conditions,
                    late_fee=fee,
                    offers_payment_plan=n == offer,
                )
            )
        return Policy(
            name=self.name,
            steps=tuple(steps),
            min_balance=self.min_balance,
            thank_you=self.thank_you,
            thank_you_template=self.thank_you_template,
            thank_you_within_days=self.thank_you_within_days,
            max_failed_attempts=self.max_failed_attempts,
            description=self.description,
            receipt_check=self.receipt_check.to_check() if self.receipt_check else None,
        )


# -- templates ------------------------------------------------------------------------------
LANGUAGES = ("nl", "en")


def known_templates(client_dir: Path | None = None) -> frozenset[str]:
    """Template names a step may use: those shipped in every language, plus a client's own
    (``templates/<slug>/<lang>/<name>.j2``)."""
    root = resources.files("connector.render") / "templates"
    per_language = [
        {
            f.name.removesuffix(".j2")
            for f in (root / lang).iterdir()
            if f.name.endswith(".j2") and not f.name.startswith("_")
        }
        for lang in LANGUAGES
    ]
    names = set.intersection(*per_language)
    if client_dir is not None and client_dir.is_dir():
        names |= {p.stem for p in client_dir.glob("*/*.j2") if not p.name.startswith("_")}
    return frozenset(names)


# -- loading --------------------------------------------------------------------------------
def load_policy_file(
    file: Path, *, templates: frozenset[str] | None = None, expect_name: str | None = None
) -> Policy:
    """Read, validate and convert one policy file.

    Raises:
        ConfigError: with the file, the key path (``steps.2.template``) and the line.
    """
    doc = read_yaml_document(file)
    model = validate_document(PolicyModel, doc)
    known = known_templates() if templates is None else templates
    problems = []
    for i, step in enumerate(model.steps):
        if step.template not in known:
            key = f"steps.{i}.template"
            problems.append(
                ConfigError(
                    doc.file,
                    key,
                    f"unknown template {step.template!r}; known: {', '.join(sorted(known))}",
                    doc.line(key),
                )
            )
    if model.receipt_check is not None and model.receipt_check.template not in known:
        key = "receipt_check.template"
        problems.append(
            ConfigError(
                doc.file,
                key,
                f"unknown template {model.receipt_check.template!r}",
                doc.line(key),
            )
        )
    if model.thank_you != "never" and model.thank_you_template not in known:
        problems.append(
            ConfigError(
                doc.file,
                "thank_you_template",
                f"unknown template {model.thank_you_template!r}",
                doc.line("thank_you_template"),
            )
        )
    if expect_name is not None and model.name != expect_name:
        problems.append(
            ConfigError(
                doc.file,
                "name",
                f"the name must match the file name ({expect_name!r})",
                doc.line("name"),
            )
        )
    if problems:
        first, *rest = problems
        raise ConfigError(first.file, first.key_path, first.message, first.line, rest)
    return model.to_policy()
