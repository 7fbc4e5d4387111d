"""Pay links from a payment provider for one client: made per reminder, kept, confirmed.

`PaymentLinks.link_for` gives the reminder's link for the open amount of its invoices: the
stored one while no balance changed, else a new one. The row is written (`creating`, with its
idempotency key) and committed before Mollie is asked, so a crash anywhere leaves either a row
whose key gets the same link on the next try, or a stored link: never two links for one
reminder. The dispatcher calls it for a claimed action before rendering; when no link can be
made, the action is not sent (it is planned again), so a client who configured links never has
a reminder go out without one.

`PaymentLinks.confirm` handles a webhook: the posted id only says "look"; what counts is the
link fetched from Mollie. A paid link puts its invoices on hold as "payment pending" (a pause
per invoice, `PauseKind.PAYMENT_PENDING`, for `pending_days`): no reminder goes out for them,
and the thank-you still waits for the ledger to book the payment (the planner thanks only for
invoices the ledger shows paid). `connector.payments.pending` ends the hold once the ledger has
booked it (or part of it), or after `pending_days`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from connector.domain.clock import Clock, local_date
from connector.domain.ledger import Invoice, safe_https_url
from connector.domain.money import Money, total
from connector.domain.pauses import PauseKind
from connector.payments.mollie import MollieClient, MollieLink, PaymentProviderError
from connector.store import audit, ledger_repo, pauses
from connector.store import payment_links as repo
from connector.store.db import session_scope

log = logging.getLogger("connector.payments")

#: who the pauses and audit events of a confirmed payment are set by
CONFIRMED_BY = "Mollie (verified payment link)"


@dataclass(frozen=True)
class LinkSettings:
    """What the links need of the client's `payments:` section and identity."""

    tenant: str
    company: str
    timezone: str
    webhook_url: str | None = None
    redirect_url: str | None = None
    pending_days: int = 7


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A link Mollie says was paid, and the invoices now waiting for the ledger to book it."""

    link_id: str
    customer_ref: str
    amount: Money
    invoice_refs: tuple[str, ...]


class PaymentLinks:
    provider = "mollie"

    def __init__(
        self, engine: Engine, client: MollieClient, settings: LinkSettings, clock: Clock
    ) -> None:
        self.engine = engine
        self.client = client
        self.settings = settings
        self.clock = clock

    @property
    def tenant(self) -> str:
        return self.settings.tenant

    def link_for(self, customer_ref: str, invoices: Sequence[Invoice]) -> str:
        """The https link paying the open balance of `invoices` (one customer's, one currency).

        Raises:
            PaymentProviderError: no link could be made now (the reminder must wait).
        """
        balances = {inv.ref: inv.balance for inv in invoices}
        print_ = repo.fingerprint(self.tenant, customer_ref, balances)
        with session_scope(self.engine) as session:
            stored = repo.reusable(session, self.tenant, print_)
            if stored is None:
                stored = repo.begin(
                    session,
                    self.tenant,
                    customer_ref,
                    self.provider,
                    print_,
                    balances,
                    self.clock.now(),
                )
        if stored.status == "open" and stored.url:
            return stored.url
        numbers = ", ".join(inv.number for inv in sorted(invoices, key=lambda i: i.number))
        link = self.client.create_payment_link(
            description=f"{self.settings.company}: {numbers}",
            amount=total(list(balances.values()), stored.amount.currency),
            idempotency_key=stored.idempotency_key,
            webhook_url=self.settings.webhook_url,
            redirect_url=self.settings.redirect_url,
        )
        url = safe_https_url(link.url)
        if url is None:
            raise PaymentProviderError("Mollie gave a link that is not https", definite=True)
        with session_scope(self.engine) as session:
            repo.opened(session, stored.id, link.id, url)
        log.info("%s: payment link %s made for %s", self.tenant, link.id, numbers)
        return url

    def stored_link(self, customer_ref: str, invoices: Sequence[Invoice]) -> str | None:
        """The link `link_for` would give now if it is already made (no call, no write: for a
        preview that may not reach Mollie); None when it is still to be made."""
        balances = {inv.ref: inv.balance for inv in invoices}
        with session_scope(self.engine) as session:
            stored = repo.reusable(
                session, self.tenant, repo.fingerprint(self.tenant, customer_ref, balances)
            )
        return stored.url if stored is not None and stored.status == "open" else None

    def confirm(self, posted_id: str) -> list[Confirmed]:
        """A webhook named `posted_id`: fetch the links it may concern from Mollie and put the
        invoices of each paid one on hold. A link id (``pl_...``) of this client is checked
        alone; a payment id (``tr_...``, a payment made through some link) checks the client's
        open links, since the payment names its link nowhere the reference list documents.
        Anything else, or an id of no link of this client, changes nothing."""
        with session_scope(self.engine) as session:
            if posted_id.startswith("pl_"):
                one = repo.by_link_id(session, self.tenant, posted_id)
                candidates = [one] if one is not None and one.status == "open" else []
            elif posted_id.startswith("tr_"):
                candidates = repo.open_links(session, self.tenant)
            else:
                candidates = []
        confirmed = []
        for stored in candidates:
            assert stored.link_id is not None
            fetched = self.client.get_payment_link(stored.link_id)
            if fetched.paid and self._record(stored, fetched):
                confirmed.append(
                    Confirmed(
                        fetched.id, stored.customer_ref, fetched.amount, tuple(stored.invoices)
                    )
                )
        return confirmed

    def _record(self, stored: repo.StoredLink, fetched: MollieLink) -> bool:
        now = self.clock.now()
        until = local_date(now, self.settings.timezone) + timedelta(days=self.settings.pending_days)
        assert fetched.paid_at is not None
        with session_scope(self.engine) as session:
            if not repo.mark_paid(session, stored.id, fetched.paid_at):
                return False  # already recorded (Mollie calls a webhook more than once)
            known = ledger_repo.invoices_by_ref(session, self.tenant, sorted(stored.invoices))
            numbers = ", ".join(
                sorted(inv.number if (inv := known.get(r)) else r for r in stored.invoices)
            )
            for ref in sorted(stored.invoices):
                pauses.add(
                    session,
                    self.tenant,
                    stored.customer_ref,
                    PauseKind.PAYMENT_PENDING,
                    reason=(
                        f"{numbers}: {fetched.amount} paid online (Mollie {fetched.id}); "
                        "waiting for the ledger to book it"
                    ),
                    by=CONFIRMED_BY,
                    now=now,
                    invoice_ref=ref,
                    until=until,
                )
            audit.record(
                session,
                self.tenant,
                "payment_link.paid",
                f"Mollie payment link {fetched.id} paid ({fetched.amount}) for {numbers}: "
                "no reminders for them until the ledger books it",
                data={"link": fetched.id, "invoices": sorted(stored.invoices)},
                now=now,
            )
        log.info("%s: payment link %s paid: ladder paused", self.tenant, fetched.id)
        return True


def payment_links(
    engine: Engine,
    clock: Clock,
    *,
    tenant: str,
    company: str,
    timezone: str,
    settings: object | None,
) -> PaymentLinks | None:
    """The client's pay links from its `payments:` section (a `PaymentSettings`), or None."""
    from connector.config.models import PaymentSettings

    if not isinstance(settings, PaymentSettings):
        return None
    client = MollieClient(settings.api_key.get_secret_value(), clock, api_url=settings.api_url)
    return PaymentLinks(
        engine,
        client,
        LinkSettings(
            tenant=tenant,
            company=company,
            timezone=timezone,
            webhook_url=settings.webhook_url,
            redirect_url=settings.redirect_url,
            pending_days=settings.pending_days,
        ),
        clock,
    )
