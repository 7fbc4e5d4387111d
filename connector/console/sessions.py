"""Server-side console sessions: the browser holds a random id, the store its SHA-256.

Because the session lives on the server, logging out or resetting a password really ends it,
and a session expires however long the browser keeps its cookie. A login always starts a new
session (a new id), so an id planted in a browser before the login never becomes a signed-in
one (no session fixation). The CSRF token of a session is derived from its id (an HMAC), so it
is bound to that session and needs no storage of its own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlmodel import col

from connector.console.users import Account, get_user
from connector.store.db import session_scope
from connector.store.models import ConsoleSession

#: a session ends this long after the login, however active
MAX_AGE = timedelta(hours=12)
#: … or after this long without a request
IDLE = timedelta(hours=2)
#: last_seen_at is written at most this often (not on every page view)
_TOUCH_EVERY = timedelta(minutes=5)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token_for(session_id: str) -> str:
    """The CSRF token of a session: an HMAC of its id (unguessable without the cookie)."""
    return hmac.new(session_id.encode(), b"console csrf", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """A live session: whose it is and the id the browser holds."""

    session_id: str
    account: Account

    @property
    def csrf_token(self) -> str:
        return csrf_token_for(self.session_id)


def start_session(engine: Engine, account: Account, *, now: datetime) -> SignedIn:
    """A new session for `account` (a fresh random id; the caller drops any old one)."""
    session_id = secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.add(
            ConsoleSession(
                id_hash=_hash(session_id),
                user_id=account.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + MAX_AGE,
            )
        )
    return SignedIn(session_id, account)


def resume_session(engine: Engine, session_id: str, *, now: datetime) -> SignedIn | None:
    """The live session with this id, else None (unknown, expired, idle too long, or its user
    removed; an expired row is deleted)."""
    if not session_id or len(session_id) > 200:
        return None
    with session_scope(engine) as session:
        row = session.get(ConsoleSession, _hash(session_id))
        if row is None:
            return None
        assert row.expires_at is not None and row.last_seen_at is not None
        if now >= row.expires_at or now - row.last_seen_at >= IDLE:
            session.delete(row)
            return None
        if now - row.last_seen_at >= _TOUCH_EVERY:
            row.last_seen_at = now
            session.add(row)
        user_id = row.user_id
    account = get_user(engine, user_id)
    return None if account is None else SignedIn(session_id, account)


def end_session(engine: Engine, session_id: str) -> None:
    """Log out: the session's row goes, so its cookie opens nothing any more."""
    with session_scope(engine) as session:
        session.execute(
            delete(ConsoleSession).where(col(ConsoleSession.id_hash) == _hash(session_id))
        )


def purge_expired(engine: Engine, *, now: datetime) -> int:
    """Delete sessions past their end; the number deleted."""
    with session_scope(engine) as session:
        result = session.execute(
            delete(ConsoleSession).where(
                (col(ConsoleSession.expires_at) <= now)
                | (col(ConsoleSession.last_seen_at) <= now - IDLE)
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)
