"""`dunning status`: per client the last run, its result, the next run, token state, the
review and approval queues, and the operator alerts that are active."""

from __future__ import annotations

from datetime import datetime, timedelta

from connector.app import App, ClientUnavailable
from connector.domain.clock import SystemClock
from connector.store import addresses, leases, outbox
from connector.store.db import session_scope


def next_run(app: App, slug: str, wall: datetime) -> str:
    """When `dunning serve` runs the client next: one interval after its last start (serve
    adds the client's phase within `schedule.jitter_seconds`). Run bookkeeping is on real time
    (see `connector.run`), so this is too, whatever `--now` says."""
    state = leases.get_state(app.engine, slug)
    if state is None or state.last_started_at is None:
        return "next run: at serve start"
    every = timedelta(minutes=app.config.connector.schedule.every_minutes)
    due = state.last_started_at + every
    if due <= wall:
        return "next run: due now"
    return f"next run ≈ {due:%Y-%m-%d %H:%M} UTC"


def status_lines(app: App, now: datetime, *, wall: datetime | None = None) -> list[str]:
    """One line per client as of `now`; `wall` (the real time unless given) judges leases and
    run bookkeeping, which are on real time."""
    from connector.alerts import active_alerts

    wall = SystemClock().now() if wall is None else wall
    alerts_by_client: dict[str, list[str]] = {}
    for alert in active_alerts(app.engine):
        alerts_by_client.setdefault(alert.tenant, []).append(alert.message)
    lines = []
    for slug in sorted(set(app.config.clients) | set(app.config.errors)):
        if slug in app.config.errors:
            lines.append(f"{slug}: configuration error: {app.config.errors[slug]}")
            continue
        state = leases.get_state(app.engine, slug)
        try:
            token = app.token(slug)
            unreadable = None
        except ClientUnavailable as exc:
            token, unreadable = None, exc.reason
        with session_scope(app.engine) as session:
            review = len(outbox.in_state(session, slug, ["review"]))
            approval = len(outbox.in_state(session, slug, ["approval"]))
        last = "never run"
        if (
            state is not None
            and state.lease_owner
            and state.lease_until
            and state.lease_until > wall
        ):
            last = f"running now ({state.lease_owner})"
        elif state is not None and state.last_finished_at is not None:
            last = f"last run {state.last_finished_at:%Y-%m-%d %H:%M} UTC: {state.last_result}"
            if state.last_error:
                last += f" ({state.last_error})"
        if not app.config.clients[slug].enabled:
            last += "; disabled"
        else:
            last += f"; {next_run(app, slug, wall)}"
        token_state = unreadable or ("no token" if token is None else token.state)
        if token is not None and token.expires_at is not None and token.state == "ok":
            left = token.expires_at - now
            token_state += (
                f", access token expires in {int(left.total_seconds() // 60)} min"
                if left.total_seconds() > 0
                else ", access token expired (refreshed on next use)"
            )
        if token is not None and token.state_reason:
            token_state += f" ({token.state_reason})"
        line = f"{slug}: {last}; token: {token_state}; awaiting review: {review}"
        if approval or app.config.clients[slug].approval.required:
            line += f"; awaiting approval: {approval}"
        lines.append(line)
        with session_scope(app.engine) as session:
            bad_addresses = addresses.unusable_addresses(session, slug)
        lines += [f"  {text}" for text in addresses.describe(bad_addresses, limit=5)]
        lines += [f"  ALERT {message}" for message in alerts_by_client.pop(slug, [])]
    for _other, messages in sorted(alerts_by_client.items()):
        lines += [f"  ALERT {message}" for message in messages]
    return lines
