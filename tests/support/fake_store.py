"""An in-memory TokenStore with the repository's semantics (lease, CAS on version, journal)."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class FakeRecord:
    tenant: str
    connection: str
    platform: str
    refresh_token: str
    access_token: str | None = None
    expires_at: datetime | None = None
    api_domain: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    state: str = "ok"
    state_reason: str | None = None
    last_refresh_at: datetime | None = None


class MemoryTokenStore:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], FakeRecord] = {}
        self.leases: dict[tuple[str, str], tuple[str, datetime]] = {}
        self.journaled: list[tuple[Any, str]] = []
        self.lock = threading.Lock()

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
    ) -> FakeRecord:
        record = FakeRecord(
            tenant,
            connection,
            platform,
            refresh_token,
            access_token,
            expires_at,
            api_domain,
            extra or {},
        )
        self.rows[(tenant, connection)] = record
        return record

    def get(self, tenant: str, connection: str = "default") -> FakeRecord | None:
        with self.lock:
            return self.rows.get((tenant, connection))

    def try_lease(
        self, tenant: str, connection: str, owner: str, now: datetime, ttl_seconds: float
    ) -> bool:
        with self.lock:
            held = self.leases.get((tenant, connection))
            if held is not None and held[0] != owner and held[1] > now:
                return False
            self.leases[(tenant, connection)] = (owner, now + timedelta(seconds=ttl_seconds))
            return True

    def release(self, tenant: str, connection: str, owner: str) -> None:
        with self.lock:
            held = self.leases.get((tenant, connection))
            if held is not None and held[0] == owner:
                del self.leases[(tenant, connection)]

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
        with self.lock:
            row = self.rows[(tenant, connection)]
            if row.version != expected_version:
                return False
            self.rows[(tenant, connection)] = dataclasses.replace(
                row,
                refresh_token=refresh_token or row.refresh_token,
                access_token=access_token,
                expires_at=expires_at,
                api_domain=api_domain or row.api_domain,
                version=row.version + 1,
                last_refresh_at=now,
            )
            self.leases.pop((tenant, connection), None)
            return True

    def journal(
        self, tenant: str, connection: str, payload: Any, reason: str, now: datetime
    ) -> None:
        self.journaled.append((payload, reason))

    def mark_consent_needed(self, tenant: str, connection: str, reason: str, now: datetime) -> None:
        with self.lock:
            row = self.rows[(tenant, connection)]
            self.rows[(tenant, connection)] = dataclasses.replace(
                row, state="consent_needed", state_reason=reason
            )

    # test helper: another process wrote a new token
    def bump(self, tenant: str, connection: str = "default", **changes: Any) -> None:
        with self.lock:
            row = self.rows[(tenant, connection)]
            self.rows[(tenant, connection)] = dataclasses.replace(
                row, version=row.version + 1, **changes
            )
