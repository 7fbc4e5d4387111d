"""Everything one client's run needs, built from its configuration.

A `Tenant` ties a client's validated config to the shared engine, its ledger adapter (chosen by
platform through `connector.platforms`), its renderer, policy and calendar. Nothing here holds
another client's data: every store call made through a Tenant passes its slug.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from connector.config import ClientConfig, ConnectorConfig
from connector.dispatch import DispatchSettings
from connector.legal.calendar import BusinessCalendar, SendingWindow
from connector.policy.builtin import get_policy
from connector.policy.model import Policy
from connector.policy.planner import PlanContext
from connector.ports import Ledger
from connector.render import Renderer
from connector.store import leases


@dataclass
class Tenant:
    slug: str
    config: ClientConfig
    connector: ConnectorConfig
    engine: Engine
    ledger: Ledger
    renderer: Renderer
    policy: Policy
    calendar: BusinessCalendar
    window: SendingWindow

    @classmethod
    def build(
        cls,
        slug: str,
        config: ClientConfig,
        connector: ConnectorConfig,
        engine: Engine,
        ledger: Ledger,
        template_dir: Path | None = None,
    ) -> Tenant:
        tz = config.timezone or connector.timezone
        window = SendingWindow.parse(config.sending_window or connector.sending_window, tz)
        calendar = BusinessCalendar(
            connector.holidays.country,
            extra_holidays=connector.holidays.extra,
            extra_working_days=connector.holidays.working_days,
        )
        policy = get_policy(
            config.policy,
            min_balance=config.policy_overrides.min_balance,
            thank_you=config.policy_overrides.thank_you,
        )
        return cls(
            slug=slug,
            config=config,
            connector=connector,
            engine=engine,
            ledger=ledger,
            renderer=Renderer(template_dir),
            policy=policy,
            calendar=calendar,
            window=window,
        )

    @property
    def timezone(self) -> str:
        return self.window.timezone

    def plan_context(self, handed_off: Iterable[str]) -> PlanContext:
        disabled = frozenset(
            ref for ref, override in self.config.customers.items() if not override.reminders
        )
        return PlanContext(
            tenant=self.slug,
            calendar=self.calendar,
            window=self.window,
            disabled_customers=disabled,
            handed_off=frozenset(handed_off),
        )

    @property
    def dispatch_settings(self) -> DispatchSettings:
        sender = self.config.sender
        return DispatchSettings(
            tenant=self.slug,
            company=self.config.display_name,
            sender={"name": sender.name, "email": sender.email, "phone": sender.phone},
            language=self.config.language,
            timezone=self.timezone,
            min_balance=self.policy.min_balance,
            customer_languages={
                ref: o.language for ref, o in self.config.customers.items() if o.language
            },
            approval_required=self.config.approval == "required",
        )

    def full_reconcile_due(self, now: datetime) -> bool:
        state = leases.get_state(self.engine, self.slug)
        last = state.last_full_reconcile_at if state is not None else None
        every = timedelta(hours=self.connector.full_reconcile_every_hours)
        return last is None or now - last >= every
