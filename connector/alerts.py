"""Operator alerts: conditions someone must act on, mailed once, shown in `dunning status`.

A condition (a client failing N runs in a row, its token about to expire or consent needed, its
daily API budget nearly spent, a broken client file) is a row in `ops_alert`, unique per
(client, kind). `evaluate` brings the rows in line with the conditions that hold now and mails
every newly raised one in ONE digest to `alerts.email`; a row that stays active is not mailed
again, however often `serve` re-checks (no alert storm). When a condition clears the row is
deactivated, and if it comes back later it is mailed once more. A mail that could not be
delivered is retried at the next evaluation, because `mailed_at` stays empty.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import Engine
from sqlmodel import col, select

from connector.app import App, ClientUnavailable
from connector.domain.ports import RenderedMessage
from connector.platforms import daily_api_budget
from connector.store import audit, leases
from connector.store.db import session_scope
from connector.store.models import OpsAlert
from connector.store.usage import api_calls_on

log = logging.getLogger("connector.alerts")

#: Alert when this share of the daily API budget is spent.
BUDGET_SHARE = 0.8
#: Alert about recipients a mail server refused during this time (a wrong address in the ledger).
REFUSED_WINDOW = timedelta(days=7)
#: Alert when a refresh token (where the platform says when it ends) ends within this time.
TOKEN_EXPIRY_WARNING = timedelta(days=7)

Sender = Callable[[EmailMessage], object]


@dataclass(frozen=True)
class Condition:
    tenant: str
    kind: str  # failing, consent, token_expiry, api_budget, config, refused, consumers
    message: str


# -- conditions ----------------------------------------------------------------------------
def _token_expiry(extra: dict[str, object]) -> datetime | None:
    value = extra.get("refresh_token_expires_at")
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def conditions(app: App, now: datetime) -> list[Condition]:
    """Every alert condition that holds now, over all clients."""
    out: list[Condition] = []
    after = app.config.connector.alerts.after_failures
    for slug, error in sorted(app.config.errors.items()):
        out.append(Condition(slug, "config", f"{slug}: the client file is invalid: {error}"))
    for slug, client in sorted(app.config.clients.items()):
        if not client.enabled:
            continue
        state = leases.get_state(app.engine, slug)
        if state is not None and state.consecutive_failures >= after:
            out.append(
                Condition(
                    slug,
                    "failing",
                    f"{slug}: the last {state.consecutive_failures} runs failed; last error: "
                    f"{state.last_error or 'unknown'}",
                )
            )
        try:
            token = app.token(slug)
        except ClientUnavailable as exc:  # the secret key cannot read it
            out.append(Condition(slug, "consent", f"{slug}: {exc.reason}"))
            continue
        if token is None:
            out.append(
                Condition(
                    slug, "consent", f"{slug}: not connected; run `dunning auth login {slug}`"
                )
            )
        elif token.state == "consent_needed":
            out.append(
                Condition(
                    slug,
                    "consent",
                    f"{slug}: consent needed again ({token.state_reason or 'token revoked'}); "
                    f"run `dunning auth login {slug}`",
                )
            )
        else:
            ends = _token_expiry(token.extra)
            if ends is not None and ends - now <= TOKEN_EXPIRY_WARNING:
                out.append(
                    Condition(
                        slug,
                        "token_expiry",
                        f"{slug}: the connection ends {ends:%Y-%m-%d %H:%M} UTC; "
                        f"run `dunning auth login {slug}` before then",
                    )
                )
        with session_scope(app.engine) as session:
            refused = audit.events_since(session, slug, audit.MAIL_REFUSED, now - REFUSED_WINDOW)
            texts = sorted({e.message for e in refused})
        if texts:
            out.append(
                Condition(
                    slug,
                    "refused",
                    f"{slug}: mail went out, but the mail server refused some addresses; "
                    f"correct them in the ledger: {'; '.join(texts)[:600]}",
                )
            )
        stopped = _consumers_past_reminders(app, slug, now)
        if stopped:
            out.append(Condition(slug, "consumers", stopped))
        budget = daily_api_budget(client)
        if budget:
            used = api_calls_on(app.engine, slug, now.date())
            if used >= BUDGET_SHARE * budget:
                out.append(
                    Condition(
                        slug,
                        "api_budget",
                        f"{slug}: {used} of the {budget} API calls of today (UTC) are spent",
                    )
                )
    return out


def _consumers_past_reminders(app: App, slug: str, now: datetime) -> str | None:
    """Consumers of a client without a consumer ladder who had every reminder and still owe
    (issue #16): they are not dunned further, so someone must know their names."""
    from connector.config import ConfigError
    from connector.config.policy_select import resolve_client_policies
    from connector.doctor.consumers import census, stopped_consumers_message
    from connector.domain import CustomerProfile
    from connector.domain.clock import local_date
    from connector.policy.model import PolicyError

    client = app.config.clients[slug]
    try:
        policies = resolve_client_policies(slug, client, app.config_dir)
    except (ConfigError, PolicyError):
        return None  # `doctor` and the run report a broken policy
    if policies.consumer_source != "reminders-only":
        return None
    today = local_date(now, client.timezone or app.config.connector.timezone)
    names = census(app.engine, slug, client, policies, today).stopped
    if not names:
        return None
    ladder = policies.for_profile(CustomerProfile.CONSUMER).name
    return stopped_consumers_message(slug, names, ladder)


# -- state and mail ------------------------------------------------------------------------
def sync_alerts(engine: Engine, found: list[Condition], now: datetime) -> None:
    """Raise new conditions, reactivate returning ones, clear those that no longer hold."""
    wanted = {(c.tenant, c.kind): c for c in found}
    with session_scope(engine) as session:
        rows = {(r.tenant, r.kind): r for r in session.exec(select(OpsAlert)).all()}
        for key, cond in wanted.items():
            row = rows.get(key)
            if row is None:
                session.add(
                    OpsAlert(
                        tenant=cond.tenant,
                        kind=cond.kind,
                        message=cond.message,
                        raised_at=now,
                        active=True,
                    )
                )
                continue
            if not row.active:
                row.active, row.raised_at, row.mailed_at, row.cleared_at = True, now, None, None
            row.message = cond.message
            session.add(row)
        for key, row in rows.items():
            if row.active and key not in wanted:
                row.active, row.cleared_at = False, now
                session.add(row)


def active_alerts(engine: Engine, tenant: str | None = None) -> list[OpsAlert]:
    with session_scope(engine) as session:
        stmt = select(OpsAlert).where(col(OpsAlert.active).is_(True))
        if tenant is not None:
            stmt = stmt.where(OpsAlert.tenant == tenant)
        return list(session.exec(stmt.order_by(col(OpsAlert.tenant), col(OpsAlert.kind))).all())


def smtp_sender(app: App) -> Sender | None:
    """The operator's SMTP relay from connector.yaml, or None when no alert mail is set up."""
    settings = app.config.connector.mail
    if settings is None or not app.config.connector.alerts.email:
        return None
    from connector.mail import SmtpMailer

    return SmtpMailer(settings).send


def evaluate(app: App, now: datetime, send: Sender | None = None) -> list[OpsAlert]:
    """Re-check all conditions; mail the newly raised ones in one digest. Returns those mailed."""
    sync_alerts(app.engine, conditions(app, now), now)
    unsent = [a for a in active_alerts(app.engine) if a.mailed_at is None]
    to = app.config.connector.alerts.email
    send = send if send is not None else smtp_sender(app)
    if not unsent or not to or send is None or app.config.connector.mail is None:
        return []
    from connector.mail import MailError, build_message

    lines = [f"- [{a.kind}] {a.message}" for a in unsent]
    body = (
        "dunning-connector needs attention:\n\n"
        + "\n".join(lines)
        + "\n\n`dunning status` shows every client. You get one mail per new problem; "
        "it is not repeated while the problem lasts.\n"
    )
    rendered = RenderedMessage(
        subject=f"dunning-connector: {len(unsent)} alert(s): "
        + ", ".join(sorted({f"{a.tenant} {a.kind}" for a in unsent}))[:150],
        html="",
        text=body,
        to=(to,),
    )
    try:
        send(
            build_message(
                rendered, sender=app.config.connector.mail.from_, sender_name="dunning-connector"
            )
        )
    except MailError as exc:
        log.error("alert mail to the operator failed (retried at the next check): %s", exc)
        return []
    with session_scope(app.engine) as session:
        for alert in unsent:
            row = session.get(OpsAlert, alert.id)
            if row is not None:
                row.mailed_at = now
                session.add(row)
    log.warning("alert mailed to the operator: %s", "; ".join(a.message for a in unsent))
    return unsent
