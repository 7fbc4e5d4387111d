"""The people who may sign in to the console, and their passwords (argon2id).

A consultant sees the clients assigned to them, an owner only their own client(s), an admin
every client. These functions are what `dunning users …` calls; they take the store's engine and
the moment (time is an input), and raise `UserError` with a sentence for the person at the
command line or the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, delete
from sqlmodel import col, select

from connector.store.db import session_scope
from connector.store.models import ConsoleSession, ConsoleUser

#: argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile
_HASHER = PasswordHasher()
#: verified when the address is unknown, so a wrong address takes as long as a wrong password
_DUMMY_HASH = _HASHER.hash("not a password of anyone")
MIN_PASSWORD_LENGTH = 12


class Role(StrEnum):
    CONSULTANT = "consultant"
    OWNER = "owner"
    ADMIN = "admin"

    @property
    def words(self) -> str:
        return {"consultant": "consultant", "owner": "business owner", "admin": "administrator"}[
            self.value
        ]


class UserError(ValueError):
    """A user cannot be added, changed or found; the message says why in plain words."""


@dataclass(frozen=True)
class Account:
    """A console user as stored (without the password hash)."""

    id: int
    email: str
    role: Role
    clients: tuple[str, ...]
    language: str

    def may_see(self, client: str) -> bool:
        """Whether this person may see `client` (an admin sees every client)."""
        return self.role is Role.ADMIN or client in self.clients

    def visible(self, clients: Iterable[str]) -> list[str]:
        """Of `clients`, the ones this person may see, sorted."""
        return sorted(c for c in clients if self.may_see(c))


def normalise_email(email: str) -> str:
    value = email.strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or any(ch.isspace() for ch in value):
        raise UserError(f"not an e-mail address: {email!r}")
    return value


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def _account(row: ConsoleUser) -> Account:
    assert row.id is not None
    return Account(row.id, row.email, Role(row.role), tuple(row.clients), row.language)


def add_user(
    engine: Engine,
    email: str,
    role: Role,
    password: str,
    *,
    clients: Sequence[str] = (),
    known_clients: Iterable[str],
    now: datetime,
    language: str = "nl",
) -> Account:
    """Store a new console user. Owners and consultants need at least one client (an admin
    sees all, so gets none); every client must be one of `known_clients`."""
    address = normalise_email(email)
    _check_password(password)
    known = set(known_clients)
    unknown = sorted(set(clients) - known)
    if unknown:
        raise UserError(
            f"no such client: {', '.join(unknown)} (known: {', '.join(sorted(known)) or 'none'})"
        )
    if role is Role.ADMIN and clients:
        raise UserError("an administrator sees every client: leave out --client")
    if role is not Role.ADMIN and not clients:
        raise UserError(f"a {role.words} needs at least one --client")
    if language not in ("nl", "en"):
        raise UserError("language must be nl or en")
    with session_scope(engine) as session:
        if session.exec(select(ConsoleUser).where(ConsoleUser.email == address)).first():
            raise UserError(f"{address} already exists (use `dunning users reset` for a password)")
        row = ConsoleUser(
            email=address,
            password_hash=_HASHER.hash(password),
            role=role.value,
            clients=sorted(set(clients)),
            language=language,
            created_at=now,
            password_changed_at=now,
        )
        session.add(row)
        session.flush()
        return _account(row)


def list_users(engine: Engine) -> list[Account]:
    with session_scope(engine) as session:
        rows = session.exec(select(ConsoleUser).order_by(col(ConsoleUser.email))).all()
        return [_account(r) for r in rows]


def get_user(engine: Engine, user_id: int) -> Account | None:
    with session_scope(engine) as session:
        row = session.get(ConsoleUser, user_id)
        return None if row is None else _account(row)


def remove_user(engine: Engine, email: str) -> None:
    """Delete the user and end their sessions."""
    address = normalise_email(email)
    with session_scope(engine) as session:
        row = session.exec(select(ConsoleUser).where(ConsoleUser.email == address)).first()
        if row is None:
            raise UserError(f"no console user {address}")
        session.execute(delete(ConsoleSession).where(col(ConsoleSession.user_id) == row.id))
        session.delete(row)


def reset_password(engine: Engine, email: str, password: str, *, now: datetime) -> None:
    """Set a new password and end every session of the user (signed in elsewhere or not)."""
    address = normalise_email(email)
    _check_password(password)
    with session_scope(engine) as session:
        row = session.exec(select(ConsoleUser).where(ConsoleUser.email == address)).first()
        if row is None:
            raise UserError(f"no console user {address}")
        row.password_hash = _HASHER.hash(password)
        row.password_changed_at = now
        session.add(row)
        session.execute(delete(ConsoleSession).where(col(ConsoleSession.user_id) == row.id))


def assign_client(engine: Engine, email: str, client: str) -> None:
    """Let a consultant or owner see `client` too (a consultant who adds a client on the
    console sees it at once); nothing changes for an administrator, who sees every client."""
    address = normalise_email(email)
    with session_scope(engine) as session:
        row = session.exec(select(ConsoleUser).where(ConsoleUser.email == address)).first()
        if row is None:
            raise UserError(f"no console user {address}")
        if row.role != Role.ADMIN.value and client not in row.clients:
            row.clients = sorted({*row.clients, client})
            session.add(row)


def authenticate(engine: Engine, email: str, password: str) -> Account | None:
    """The account whose address and password these are, else None (the same time either way,
    so the answer does not tell which addresses exist). Rehashes when argon2's parameters grew."""
    try:
        address = normalise_email(email)
    except UserError:
        address = ""
    with session_scope(engine) as session:
        row = (
            session.exec(select(ConsoleUser).where(ConsoleUser.email == address)).first()
            if address
            else None
        )
        try:
            _HASHER.verify(row.password_hash if row else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if _HASHER.check_needs_rehash(row.password_hash):
            row.password_hash = _HASHER.hash(password)
            session.add(row)
        return _account(row)
