"""Links to a customer's own page (`/p/<token>`, issue #14): issue, find, revoke.

A token is `secrets.token_urlsafe(32)` (256 random bits). The store keeps its SHA-256 (what a
visit is looked up by) and, when a cipher is given, the token sealed with the connector's key so
later reminders reuse the customer's live link rather than minting one per mail. An unknown,
expired or revoked token finds nothing — the caller answers all three the same way.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from connector.domain import Customer
from connector.store.crypto import Cipher, CipherError
from connector.store.db import session_scope
from connector.store.models import CustomerPageToken

#: how long a link stays valid unless configured otherwise (`console.page_link_days`)
DEFAULT_DAYS = 60
#: what a sealed token is bound to (with the client's name)
KIND = "customer_page"


@dataclass(frozen=True)
class PageAccess:
    """What a valid token opens: one customer of one client."""

    tenant: str
    customer_ref: str
    expires_at: datetime


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(
    session: Session,
    tenant: str,
    customer_ref: str,
    *,
    now: datetime,
    days: int = DEFAULT_DAYS,
    cipher: Cipher | None = None,
) -> str:
    """A new token for the customer (the caller shows or mails it; only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    session.add(
        CustomerPageToken(
            token_hash=digest(token),
            tenant=tenant,
            customer_ref=customer_ref,
            sealed=cipher.encrypt(token, tenant, KIND) if cipher else None,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    session.flush()
    return token


def current(
    session: Session,
    tenant: str,
    customer_ref: str,
    *,
    now: datetime,
    days: int = DEFAULT_DAYS,
    cipher: Cipher,
) -> str:
    """The customer's live token, reused while it has more than a third of its life left (so a
    mailed link does not die days after the mail), else a new one."""
    fresh_until = now + timedelta(days=days) / 3
    rows = session.exec(
        select(CustomerPageToken)
        .where(
            CustomerPageToken.tenant == tenant,
            CustomerPageToken.customer_ref == customer_ref,
            col(CustomerPageToken.revoked_at).is_(None),
            col(CustomerPageToken.sealed).is_not(None),
            col(CustomerPageToken.expires_at) > fresh_until,
        )
        .order_by(col(CustomerPageToken.expires_at).desc())
    ).all()
    for row in rows:
        try:
            token = cipher.decrypt(row.sealed or "", tenant, KIND)
        except CipherError:  # sealed with a key no longer held: make a new one
            continue
        if digest(token) == row.token_hash:
            return token
    return issue(session, tenant, customer_ref, now=now, days=days, cipher=cipher)


def find(session: Session, token: str, *, now: datetime) -> PageAccess | None:
    """The customer a token opens, or None (unknown, expired or revoked alike)."""
    if not token or len(token) > 100:
        return None
    row = session.get(CustomerPageToken, digest(token))
    if row is None or row.revoked_at is not None or row.expires_at is None:
        return None
    if row.expires_at <= now:
        return None
    return PageAccess(row.tenant, row.customer_ref, row.expires_at)


def revoke(session: Session, tenant: str, customer_ref: str, *, now: datetime) -> int:
    """End every live link of the customer; how many there were."""
    rows = session.exec(
        select(CustomerPageToken).where(
            CustomerPageToken.tenant == tenant,
            CustomerPageToken.customer_ref == customer_ref,
            col(CustomerPageToken.revoked_at).is_(None),
        )
    ).all()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)


class PageLinks:
    """`Dispatcher.customer_page`: the customer's page address, one token per customer per run
    (and across runs while it is fresh; see `current`)."""

    def __init__(
        self,
        engine: Engine,
        tenant: str,
        public_url: str,
        *,
        now: datetime,
        cipher: Cipher,
        days: int = DEFAULT_DAYS,
    ) -> None:
        self.engine = engine
        self.tenant = tenant
        self.base = public_url.rstrip("/")
        self.now = now
        self.cipher = cipher
        self.days = days
        self._tokens: dict[str, str] = {}

    def __call__(self, customer: Customer) -> str:
        customer_ref = customer.ref
        token = self._tokens.get(customer_ref)
        if token is None:
            with session_scope(self.engine) as session:
                token = current(
                    session,
                    self.tenant,
                    customer_ref,
                    now=self.now,
                    days=self.days,
                    cipher=self.cipher,
                )
            self._tokens[customer_ref] = token
        return f"{self.base}/p/{token}"
