"""Everything one client's run needs, built from its configuration.

A `Tenant` ties a client's validated config to the shared engine, its ledger adapter (chosen by
platform through `connector.platforms`), its renderer, policy and calendar. Nothing here holds
another client's data: every store call made through a Tenant passes its slug.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from connector.config import ClientConfig, ConnectorConfig
from connector.config.environment import DEFAULT_RUN_LEASE
from connector.config.policy_select import ClientPolicies, resolve_client_policies
from connector.dispatch import DispatchSettings
from connector.domain import CustomerProfile
from connector.domain.clock import Clock
from connector.domain.ports import Ledger
from connector.legal.calendar import BusinessCalendar, SendingWindow
from connector.payments.links import PaymentLinks, payment_links
from connector.payments.pending import settled_holds
from connector.plan_tracking import ending_pauses
from connector.policy.model import Policy
from connector.policy.planner import PlanContext
from connector.render import Renderer
from connector.store import leases, pauses
from connector.store.crypto import Cipher
from connector.store.db import session_scope


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
    #: the ladder per customer profile (issue #4); `policy` is its default
    policies: ClientPolicies | None = None
    #: how long a run's lease lasts unrenewed (`connector.run`; env DUNNING_RUN_LEASE_SECONDS)
    lease_ttl: timedelta = DEFAULT_RUN_LEASE
    #: the connector's key, for what a run seals in the store (the customer page's links)
    cipher: Cipher | None = None

    @classmethod
    def build(
        cls,
        slug: str,
        config: ClientConfig,
        connector: ConnectorConfig,
        engine: Engine,
        ledger: Ledger,
        template_dir: Path | None = None,
        config_dir: Path | None = None,
        lease_ttl: timedelta = DEFAULT_RUN_LEASE,
        cipher: Cipher | None = None,
    ) -> Tenant:
        """Raises `ConfigError` when a policy cannot be resolved (`config.policy_select`)."""
        tz = config.timezone or connector.timezone
        window = SendingWindow.parse(config.sending_window or connector.sending_window, tz)
        calendar = BusinessCalendar(
            connector.holidays.country,
            extra_holidays=connector.holidays.extra,
            extra_working_days=connector.holidays.working_days,
        )
        policies = resolve_client_policies(slug, config, config_dir)
        vat = config.legal.vat_rate if config.legal.vat_on_collection_costs else None
        return cls(
            slug=slug,
            config=config,
            connector=connector,
            engine=engine,
            ledger=ledger,
            renderer=Renderer(template_dir, costs_vat_rate=vat),
            policy=policies.default,
            calendar=calendar,
            window=window,
            policies=policies,
            lease_ttl=lease_ttl,
            cipher=cipher,
        )

    @property
    def timezone(self) -> str:
        return self.window.timezone

    def plan_context(self, handed_off: Iterable[str], today: date | None = None) -> PlanContext:
        disabled = frozenset(
            ref for ref, override in self.config.customers.items() if not override.reminders
        )
        with session_scope(self.engine) as session:
            live_pauses = pauses.live(session, self.slug)
            # a Mollie payment's hold the ledger has settled since: planned as the run will
            settled = settled_holds(session, self.slug, live_pauses)
            # a payment plan the run ends on `today` (missed, kept): planned as the run will
            if today is not None:
                settled |= ending_pauses(session, self.slug, today)
        if settled:
            live_pauses = tuple(p for p in live_pauses if p.id not in settled)
        return PlanContext(
            tenant=self.slug,
            calendar=self.calendar,
            window=self.window,
            disabled_customers=disabled,
            handed_off=frozenset(handed_off),
            policies=self.policies.by_profile if self.policies else {},
            profiles=self.profile_overrides,
            pauses=live_pauses,
        )

    @property
    def profile_overrides(self) -> dict[str, CustomerProfile]:
        """Customer profiles set in the client's config (they win over the platform's)."""
        return {
            ref: CustomerProfile(o.profile) for ref, o in self.config.customers.items() if o.profile
        }

    @property
    def dispatch_settings(self) -> DispatchSettings:
        sender = self.config.sender
        return DispatchSettings(
            tenant=self.slug,
            company=self.config.display_name,
            sender=sender.as_dict(),
            language=self.config.language,
            timezone=self.timezone,
            min_balance=self.policy.min_balance,
            customer_languages={
                ref: o.language for ref, o in self.config.customers.items() if o.language
            },
            customer_addresses={
                ref: o.address for ref, o in self.config.customers.items() if o.address
            },
            approval_required=self.config.approval.required,
            customer_profiles=self.profile_overrides,
        )

    def payment_links(self, clock: Clock) -> PaymentLinks | None:
        """The client's pay links from its payment provider (`payments:`), or None."""
        return payment_links(
            self.engine,
            clock,
            tenant=self.slug,
            company=self.config.display_name,
            timezone=self.timezone,
            settings=self.config.payments,
        )

    def full_reconcile_due(self, now: datetime) -> bool:
        state = leases.get_state(self.engine, self.slug)
        last = state.last_full_reconcile_at if state is not None else None
        every = timedelta(hours=self.connector.full_reconcile_every_hours)
        return last is None or now - last >= every
