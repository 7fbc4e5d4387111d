"""OAuth tokens per (tenant, connection), encrypted, with a refresh lease and compare-and-swap.

This is the store side of `connector.auth.tokens.TokenManager`'s rotation-safe recipe: the lease
is a conditional UPDATE (works across processes and machines on SQLite and PostgreSQL), and a
refreshed pair is committed only if `version` is still what the refresher read. A token answer
that cannot be committed is written to the journal, encrypted, so a rotated refresh token is
never lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, or_, update
from sqlmodel import col, select

from connector.auth.spool import TokenSpool
from connector.store.crypto import Cipher
from connector.store.db import session_scope
from connector.store.models import OAuthToken, TokenJournal


@dataclass(frozen=True)
class TokenRecord:
    tenant: str
    connection: str
    platform: str
    refresh_token: str
    access_token: str | None
    expires_at: datetime | None
    api_domain: str | None
    version: int
    state: str
    state_reason: str | None
    last_refresh_at: datetime | None
    extra: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:  # never show the tokens
        return (
            f"TokenRecord(tenant={self.tenant!r}, connection={self.connection!r}, "
            f"state={self.state!r}, version={self.version}, expires_at={self.expires_at})"
        )


#: what each encrypted column holds; a ciphertext is bound to (tenant, kind/connection)
REFRESH, ACCESS, JOURNAL = "refresh_token", "access_token", "token_journal"


def bound_kind(kind: str, connection: str) -> str:
    """The kind a ciphertext is bound to, e.g. ``refresh_token/default``."""
    return f"{kind}/{connection}"


class TokenRepository:
    def __init__(self, engine: Engine, cipher: Cipher, spool: TokenSpool | None = None) -> None:
        self.engine = engine
        self.cipher = cipher
        #: where a rotated token answer waits (fsynced, encrypted) until this store holds it
        self.spool = spool

    def _record(self, row: OAuthToken) -> TokenRecord:
        def dec(value: str, kind: str) -> str:
            return self.cipher.decrypt(value, row.tenant, bound_kind(kind, row.connection))

        return TokenRecord(
            tenant=row.tenant,
            connection=row.connection,
            platform=row.platform,
            refresh_token=dec(row.refresh_token_enc, REFRESH),
            access_token=dec(row.access_token_enc, ACCESS) if row.access_token_enc else None,
            expires_at=row.expires_at,
            api_domain=row.api_domain,
            version=row.version,
            state=row.state,
            state_reason=row.state_reason,
            last_refresh_at=row.last_refresh_at,
            extra=dict(row.extra or {}),
        )

    def get(self, tenant: str, connection: str = "default") -> TokenRecord | None:
        with session_scope(self.engine) as session:
            row = session.exec(
                select(OAuthToken).where(
                    OAuthToken.tenant == tenant, OAuthToken.connection == connection
                )
            ).first()
            return self._record(row) if row else None

    def connections(self, tenant: str) -> list[TokenRecord]:
        with session_scope(self.engine) as session:
            rows = session.exec(select(OAuthToken).where(OAuthToken.tenant == tenant)).all()
            return [self._record(r) for r in rows]

    def put_initial(
        self,
        tenant: str,
        connection: str,
        platform: str,
        *,
        refresh_token: str,
        access_token: str | None = None,
        expires_at: datetime | None = None,
        api_domain: str | None = None,
        extra: dict[str, Any] | None = None,
        now: datetime,
    ) -> TokenRecord:
        """Store the tokens of a new consent (login or set-token); replaces an older grant."""

        def enc(value: str, kind: str) -> str:
            return self.cipher.encrypt(value, tenant, bound_kind(kind, connection))

        with session_scope(self.engine) as session:
            row = session.exec(
                select(OAuthToken).where(
                    OAuthToken.tenant == tenant, OAuthToken.connection == connection
                )
            ).first()
            if row is None:
                row = OAuthToken(
                    tenant=tenant, connection=connection, platform=platform, refresh_token_enc=""
                )
            else:
                row.version += 1
            row.platform = platform
            row.refresh_token_enc = enc(refresh_token, REFRESH)
            row.access_token_enc = enc(access_token, ACCESS) if access_token else None
            row.expires_at = expires_at
            row.api_domain = api_domain
            row.extra = dict(extra or {})
            row.state = "ok"
            row.state_reason = None
            row.lease_owner = None
            row.lease_until = None
            row.updated_at = now
            session.add(row)
            session.flush()
            return self._record(row)

    def try_lease(
        self, tenant: str, connection: str, owner: str, now: datetime, ttl_seconds: float
    ) -> bool:
        with session_scope(self.engine) as session:
            result = session.execute(
                update(OAuthToken)
                .where(
                    col(OAuthToken.tenant) == tenant,
                    col(OAuthToken.connection) == connection,
                    or_(
                        col(OAuthToken.lease_owner).is_(None),
                        col(OAuthToken.lease_owner) == owner,
                        col(OAuthToken.lease_until) < now,
                    ),
                )
                .values(lease_owner=owner, lease_until=now + timedelta(seconds=ttl_seconds))
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def release(self, tenant: str, connection: str, owner: str) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(OAuthToken)
                .where(
                    col(OAuthToken.tenant) == tenant,
                    col(OAuthToken.connection) == connection,
                    col(OAuthToken.lease_owner) == owner,
                )
                .values(lease_owner=None, lease_until=None)
            )

    def commit_refresh(
        self,
        tenant: str,
        connection: str,
        *,
        expected_version: int,
        owner: str,
        refresh_token: str | None,
        access_token: str,
        expires_at: datetime,
        api_domain: str | None = None,
        now: datetime,
    ) -> bool:
        """Compare-and-swap on `version`; also releases the lease. False: version moved."""
        values: dict[str, Any] = {
            "access_token_enc": self.cipher.encrypt(
                access_token, tenant, bound_kind(ACCESS, connection)
            ),
            "expires_at": expires_at,
            "version": expected_version + 1,
            "last_refresh_at": now,
            "updated_at": now,
            "lease_owner": None,
            "lease_until": None,
        }
        if refresh_token:
            values["refresh_token_enc"] = self.cipher.encrypt(
                refresh_token, tenant, bound_kind(REFRESH, connection)
            )
        if api_domain:
            values["api_domain"] = api_domain
        with session_scope(self.engine) as session:
            result = session.execute(
                update(OAuthToken)
                .where(
                    col(OAuthToken.tenant) == tenant,
                    col(OAuthToken.connection) == connection,
                    col(OAuthToken.version) == expected_version,
                )
                .values(**values)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]

    def journal(
        self, tenant: str, connection: str, payload: Any, reason: str, now: datetime
    ) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload, default=str)
        with session_scope(self.engine) as session:
            session.add(
                TokenJournal(
                    tenant=tenant,
                    connection=connection,
                    payload_enc=self.cipher.encrypt(text, tenant, bound_kind(JOURNAL, connection)),
                    reason=reason,
                    at=now,
                )
            )

    def journaled(self, tenant: str) -> list[tuple[str, dict[str, Any]]]:
        """(reason, payload) of the journal entries of a tenant, decrypted (for recovery)."""
        with session_scope(self.engine) as session:
            rows = session.exec(
                select(TokenJournal)
                .where(TokenJournal.tenant == tenant)
                .order_by(col(TokenJournal.id))
            ).all()
            return [
                (
                    r.reason,
                    json.loads(
                        self.cipher.decrypt(
                            r.payload_enc, r.tenant, bound_kind(JOURNAL, r.connection)
                        )
                    ),
                )
                for r in rows
            ]

    def due_for_keep_alive(
        self, platforms: tuple[str, ...], before: datetime
    ) -> list[tuple[str, str]]:
        """(tenant, connection) of the connected tokens of `platforms` last refreshed before
        `before` (never refreshed: issued before it, judged by the access token's expiry),
        oldest first; one query whatever the number of clients."""
        issued_before = before + timedelta(seconds=600)
        with session_scope(self.engine) as session:
            rows = session.execute(
                select(OAuthToken.tenant, OAuthToken.connection)
                .where(
                    col(OAuthToken.platform).in_(platforms),
                    OAuthToken.state == "ok",
                    or_(
                        col(OAuthToken.last_refresh_at) <= before,
                        and_(
                            col(OAuthToken.last_refresh_at).is_(None),
                            or_(
                                col(OAuthToken.expires_at).is_(None),
                                col(OAuthToken.expires_at) < issued_before,
                            ),
                        ),
                    ),
                )
                .order_by(col(OAuthToken.last_refresh_at), col(OAuthToken.tenant))
            ).all()
            return [(str(t), str(c)) for t, c in rows]

    def pending_answers(self, tenant: str, connection: str, reason: str) -> list[dict[str, Any]]:
        """Journaled answers with exactly this `reason`, newest first (for recovery)."""
        with session_scope(self.engine) as session:
            rows = session.exec(
                select(TokenJournal)
                .where(
                    TokenJournal.tenant == tenant,
                    TokenJournal.connection == connection,
                    TokenJournal.reason == reason,
                )
                .order_by(col(TokenJournal.id).desc())
            ).all()
            out = []
            for row in rows:
                payload = json.loads(
                    self.cipher.decrypt(
                        row.payload_enc, row.tenant, bound_kind(JOURNAL, row.connection)
                    )
                )
                if isinstance(payload, dict):
                    out.append(payload)
            return out

    def set_extra(
        self, tenant: str, connection: str, values: dict[str, Any], now: datetime
    ) -> None:
        """Merge `values` into the connection's `extra` (platform bookkeeping that must survive
        a crash, e.g. Exact's "refresh in flight" marker); a None value removes the key."""
        with session_scope(self.engine) as session:
            row = session.exec(
                select(OAuthToken)
                .where(OAuthToken.tenant == tenant, OAuthToken.connection == connection)
                .with_for_update()
            ).first()  # two writers of different keys must not clobber
            if row is None:
                return
            extra = dict(row.extra or {})
            for key, value in values.items():
                if value is None:
                    extra.pop(key, None)
                else:
                    extra[key] = value
            row.extra = extra
            row.updated_at = now
            session.add(row)

    def mark_consent_needed(self, tenant: str, connection: str, reason: str, now: datetime) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                update(OAuthToken)
                .where(col(OAuthToken.tenant) == tenant, col(OAuthToken.connection) == connection)
                .values(
                    state="consent_needed",
                    state_reason=reason,
                    updated_at=now,
                    lease_owner=None,
                    lease_until=None,
                )
            )
