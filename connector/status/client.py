"""One client as a console's client page shows it: where its receivables stand (the report's
ageing and DSO), its customers (searchable by name, number or e-mail), the ladder each kind of
customer follows, the latest actions with their messages, and whether the connection to its
ledger works.

Read from the store and the configuration only (no platform call), so the page shows even when
the client needs consent again; in plain Dutch or English, never an internal id or enum name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from connector.customers import CustomerLine, customer_overview, customer_page, names_text
from connector.customers.activity import ActionView, actions, lang
from connector.domain import CustomerProfile, Money, Snapshot
from connector.policy.model import Policy
from connector.report.ageing import BUCKETS, Headline, headline, headline_from_record
from connector.store import leases, outbox
from connector.store.db import session_scope

if TYPE_CHECKING:
    from connector.app import App
    from connector.domain.clock import Clock

PROFILE_WORDS: dict[str, dict[CustomerProfile, str]] = {
    "nl": {
        CustomerProfile.BUSINESS: "Zakelijke klanten",
        CustomerProfile.CONSUMER: "Particulieren",
        CustomerProfile.GOVERNMENT: "Overheid",
    },
    "en": {
        CustomerProfile.BUSINESS: "Business customers",
        CustomerProfile.CONSUMER: "Consumers",
        CustomerProfile.GOVERNMENT: "Government",
    },
}
BUCKET_WORDS: dict[str, dict[str, str]] = {
    "nl": {
        "not due": "nog niet vervallen",
        "1-30": "1-30 dagen",
        "31-60": "31-60 dagen",
        "61-90": "61-90 dagen",
        ">90": "meer dan 90 dagen",
    },
    "en": {
        "not due": "not yet due",
        "1-30": "1-30 days",
        "31-60": "31-60 days",
        "61-90": "61-90 days",
        ">90": "over 90 days",
    },
}


@dataclass(frozen=True)
class LadderStep:
    #: "7 dagen na de vervaldatum" / "3 days after the invoice date"
    when: str
    label: str


@dataclass(frozen=True)
class Ladder:
    profile: str  # in words: "Zakelijke klanten"
    name: str  # the ladder's name as configured (nl-b2b-standard or the client's own file)
    description: str
    steps: list[LadderStep]


@dataclass(frozen=True)
class Connection:
    ok: bool
    #: "verbonden", "toestemming nodig: opnieuw verbinden", "niet verbonden"
    state: str
    #: the client must consent again (or for the first time) before anything can run
    consent_needed: bool
    #: the last run in words, e.g. "laatste run 2 mrt 2026 10:00: gelukt" (local time)
    last_run: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class ClientPage:
    slug: str
    display_name: str
    #: the report's ageing, open total and DSO (summed by the database)
    report: Headline
    #: (bucket in words, amount, number of invoices) from not due to over 90 days
    ageing: list[tuple[str, Money, int]]
    #: the first customers by name (those the search names), at most the page's limit
    customers: list[CustomerLine]
    search: str | None
    ladders: list[Ladder]
    recent: list[ActionView]
    connection: Connection
    waiting_for_approval: int
    approval_required: bool
    #: how many customers the search names in all (more than `customers` when limited)
    customers_total: int = 0


def ladder_in_words(policy: Policy, profile: CustomerProfile, language: str) -> Ladder:
    from connector.customers.activity import action_label

    nl = lang(language) == "nl"
    steps = []
    if policy.receipt_check is not None:
        check = policy.receipt_check.step()
        steps.append(
            LadderStep(
                f"{policy.receipt_check.days} dagen na de factuurdatum"
                if nl
                else f"{policy.receipt_check.days} days after the invoice date",
                action_label(check.kind, (check.id,), False, language),
            )
        )
    for step in policy.steps:
        days = step.offset_days
        if days < 0:
            when = (
                f"{-days} dagen vóór de vervaldatum" if nl else f"{-days} days before the due date"
            )
        elif days == 0:
            when = "op de vervaldatum" if nl else "on the due date"
        else:
            when = f"{days} dagen na de vervaldatum" if nl else f"{days} days after the due date"
        steps.append(
            LadderStep(when, action_label(step.kind, (step.id,), step.with_statement, language))
        )
    return Ladder(PROFILE_WORDS[lang(language)][profile], policy.name, policy.description, steps)


def ladders(app: App, slug: str, language: str) -> list[Ladder]:
    """The ladder per kind of customer (business, consumers, government), as configured."""
    from connector.config.policy_select import resolve_client_policies

    client = app.require(slug)
    policies = resolve_client_policies(slug, client, app.config_dir)
    return [
        ladder_in_words(policies.for_profile(profile), profile, language)
        for profile in CustomerProfile
    ]


def connection(app: App, slug: str, language: str) -> Connection:
    """Whether the client's ledger connection works, in words; never a token or secret."""
    from connector.app import ClientUnavailable

    nl = lang(language) == "nl"
    try:
        token = app.token(slug)
        unreadable = None
    except ClientUnavailable as exc:
        token, unreadable = None, exc.reason
    state = leases.get_state(app.engine, slug)
    last_run = None
    if state is not None and state.last_finished_at is not None:
        result = {"ok": "gelukt" if nl else "ok", "failed": "mislukt" if nl else "failed"}.get(
            state.last_result or "", state.last_result or ""
        )
        from babel.dates import format_datetime

        # in the installation's time zone and the reader's words, as the overview shows it
        finished = state.last_finished_at
        if finished.tzinfo is None:  # SQLite gives the stored UTC time back without its zone
            finished = finished.replace(tzinfo=UTC)
        local = finished.astimezone(ZoneInfo(app.config.connector.timezone))
        when = format_datetime(local, "d MMM y HH:mm", locale="nl_NL" if nl else "en_GB")
        last_run = f"{'laatste run' if nl else 'last run'} {when}: {result}" + (
            f" ({state.last_error})" if state.last_error else ""
        )
    if token is not None and token.state == "ok":
        return Connection(True, "verbonden" if nl else "connected", False, last_run)
    if token is not None and token.state == "consent_needed":
        return Connection(
            False,
            "toestemming nodig: opnieuw verbinden" if nl else "consent needed: reconnect",
            True,
            last_run,
            token.state_reason,
        )
    return Connection(
        False,
        "niet verbonden" if nl else "not connected",
        True,
        last_run,
        unreadable,
    )


def search_customers(
    app: App, slug: str, now: datetime, search: str | None, snapshot: Snapshot | None = None
) -> list[CustomerLine]:
    """The client's customers whose name, number or e-mail contains `search` (any case), by
    name; all of them without a search (`snapshot`: the client's ledger, if read already)."""
    lines = customer_overview(app, slug, now, snapshot=snapshot)
    return [
        ln
        for ln in lines
        if names_text(search, ln.customer.name, ln.customer.number, ln.customer.email)
    ]


def kept_headline(app: App, slug: str, now: datetime) -> Headline | None:
    """The ageing and DSO the client's last run kept, when its summary still holds (same day,
    nothing changed since, configuration unchanged: `connector.store.summaries`'s rule); None
    when the page must sum them itself."""
    from connector.status.overview import kept_summary

    app.require(slug)
    row = kept_summary(app, slug, now)
    if row is None or not row.headline:
        return None
    return headline_from_record(row.headline)


def client_page(
    app: App,
    slug: str,
    clock: Clock,
    language: str,
    *,
    search: str | None = None,
    recent: int = 20,
    customer_limit: int | None = None,
) -> ClientPage:
    """Everything the client page shows, as of `clock`: the first `customer_limit` customers
    (all without a limit). The ledger is never loaded whole: its figures are summed by the
    database, and only the customers shown are read."""
    language = lang(language)
    client = app.require(slug)
    now = clock.now()
    with session_scope(app.engine) as session:
        waiting = len(outbox.in_state(session, slug, ["approval"]))
    report = kept_headline(app, slug, now) or headline(app, slug, now)
    customers, customers_total = customer_page(app, slug, now, search=search, limit=customer_limit)
    return ClientPage(
        slug=slug,
        display_name=client.display_name,
        report=report,
        ageing=[
            (BUCKET_WORDS[language][b], report.ageing[b], report.ageing_counts[b]) for b in BUCKETS
        ],
        customers=customers,
        customers_total=customers_total,
        search=search,
        ladders=ladders(app, slug, language),
        recent=actions(app, slug, clock, language, limit=recent),
        connection=connection(app, slug, language),
        waiting_for_approval=waiting,
        approval_required=client.approval.required,
    )
