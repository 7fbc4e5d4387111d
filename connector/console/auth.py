"""The login rate limit: failed logins are counted per e-mail address and per remote address
over a window, so guessing a password is slow whichever of the two an attacker varies.

Failures are kept in the store (`console_login_attempt`), so the limit holds across restarts
and across the processes of one installation. A blocked login is not even checked: the answer
is the same "too many attempts" whether the password was right or not.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func
from sqlmodel import col, select

from connector.store.db import session_scope
from connector.store.models import ConsoleLoginAttempt

#: the window failures are counted over
WINDOW = timedelta(minutes=15)
#: failures allowed per address in the window (then the address waits)
PER_EMAIL = 5
#: failures allowed per remote address in the window (many addresses tried from one place)
PER_REMOTE = 20


def _keys(email: str, remote: str | None) -> list[tuple[str, int]]:
    keys = [(f"email:{email.strip().lower()[:320]}", PER_EMAIL)]
    if remote:
        keys.append((f"remote:{remote[:64]}", PER_REMOTE))
    return keys


def login_blocked(engine: Engine, email: str, remote: str | None, *, now: datetime) -> bool:
    """Whether this login must wait: too many recent failures for the address or the remote."""
    with session_scope(engine) as session:
        for key, limit in _keys(email, remote):
            count = session.exec(
                select(func.count())
                .select_from(ConsoleLoginAttempt)
                .where(ConsoleLoginAttempt.key == key, col(ConsoleLoginAttempt.at) > now - WINDOW)
            ).one()
            if count >= limit:
                return True
    return False


def record_failure(engine: Engine, email: str, remote: str | None, *, now: datetime) -> None:
    """Count a failed login (and forget failures older than the window)."""
    with session_scope(engine) as session:
        session.execute(
            delete(ConsoleLoginAttempt).where(col(ConsoleLoginAttempt.at) <= now - WINDOW)
        )
        for key, _limit in _keys(email, remote):
            session.add(ConsoleLoginAttempt(key=key, at=now))


def clear_failures(engine: Engine, email: str) -> None:
    """A successful login forgets the address's failures (not the remote's)."""
    key = _keys(email, None)[0][0]
    with session_scope(engine) as session:
        session.execute(delete(ConsoleLoginAttempt).where(col(ConsoleLoginAttempt.key) == key))
