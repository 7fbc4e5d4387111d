"""`dunning status`: per client the last run, its result, token state and the review queue."""

from __future__ import annotations

from datetime import datetime

from connector.app import App
from connector.store import leases, outbox
from connector.store.db import session_scope


def status_lines(app: App, now: datetime) -> list[str]:
    lines = []
    for slug in sorted(set(app.config.clients) | set(app.config.errors)):
        if slug in app.config.errors:
            lines.append(f"{slug}: configuration error: {app.config.errors[slug]}")
            continue
        state = leases.get_state(app.engine, slug)
        token = app.tokens.get(slug)
        with session_scope(app.engine) as session:
            review = len(outbox.in_state(session, slug, ["review"]))
        last = "never run"
        if (
            state is not None
            and state.lease_owner
            and state.lease_until
            and state.lease_until > now
        ):
            last = f"running now ({state.lease_owner})"
        elif state is not None and state.last_finished_at is not None:
            last = f"last run {state.last_finished_at:%Y-%m-%d %H:%M} UTC: {state.last_result}"
            if state.last_error:
                last += f" ({state.last_error})"
        token_state = "no token" if token is None else token.state
        if token is not None and token.expires_at is not None and token.state == "ok":
            left = token.expires_at - now
            token_state += (
                f", access token expires in {int(left.total_seconds() // 60)} min"
                if left.total_seconds() > 0
                else ", access token expired (refreshed on next use)"
            )
        if token is not None and token.state_reason:
            token_state += f" ({token.state_reason})"
        lines.append(f"{slug}: {last}; token: {token_state}; awaiting review: {review}")
    return lines
