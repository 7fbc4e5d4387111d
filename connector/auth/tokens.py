"""Access tokens shared by every process, refreshed once, under a lease, persisted before use.

The rotation-safe recipe (style-and-libraries.md, "Rotation-safe refresh"; picqer's
lock/reload/refresh/persist/unlock):

1. Read the stored token. If it expires later than ``now + leeway``, use it: the access token is
   shared by every process, which also keeps us far below Zoho's 10 token requests per 10 minutes.
2. Otherwise take the lease (a conditional UPDATE in the store). While another process holds it,
   poll with `clock.sleep` and re-read: usually that process has refreshed in the meantime.
3. Re-read under the lease; if it is fresh now, release and use it.
4. POST the refresh exactly once (no tenacity: a lost answer plus a resend could spend a
   single-use refresh token on platforms that rotate them).
5. Commit the new tokens with compare-and-swap on `version` *before* the new access token is used.
   If the CAS fails, the response is written to the refresh journal (never dropped) and the
   caller gets `TokenCommitConflict`.
6. An unknown outcome (timeout or connection error after sending) releases the lease and raises
   `TokenRefreshUnknown` without resending. An ``invalid_grant`` answer first re-reads the store
   (another process may have refreshed meanwhile) and only then marks the connection "consent
   needed" and raises `ConsentNeeded`.

No lock is held across the network call other than the store's lease row, so this works the same
on SQLite and PostgreSQL and across machines.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from connector.clock import Clock
from connector.http import register_secret

log = logging.getLogger("connector.auth")

TokenErrorKind = Literal["invalid_grant", "throttled", "invalid_client", "other"]


# -- what a token endpoint answers ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TokenResponse:
    """A successful token answer. `refresh_token` None: the platform kept the old one (Zoho)."""

    access_token: str
    expires_in: int
    refresh_token: str | None = None
    api_domain: str | None = None

    def __repr__(self) -> str:  # never show the tokens
        return (
            f"TokenResponse(access_token=***, expires_in={self.expires_in}, "
            f"refresh_token={'***' if self.refresh_token else None}, "
            f"api_domain={self.api_domain!r})"
        )


class TokenError(Exception):
    """Base of the token errors; messages never contain a secret."""


class TokenEndpointError(TokenError):
    """The token endpoint answered with a definite error."""

    def __init__(self, kind: TokenErrorKind, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind: TokenErrorKind = kind
        self.message = message


class TokenRefreshUnknown(TokenError):
    """The refresh request may have reached the server but no answer came back; not resent."""


class TokenCommitConflict(TokenError):
    """A refreshed token could not be committed (version moved); the answer is journaled."""


class TokenLeaseTimeout(TokenError):
    """Another process held the refresh lease for longer than expected."""


class ConsentNeeded(TokenError):
    """The user must log in again (`dunning auth login <tenant>`)."""

    def __init__(self, tenant: str, reason: str = "") -> None:
        text = f"{tenant}: consent needed, run `dunning auth login {tenant}`"
        super().__init__(f"{text} ({reason})" if reason else text)
        self.tenant = tenant
        self.reason = reason


class Refresher(Protocol):
    """Exchanges a refresh token for a new access token, once (no retries).

    Raises `TokenEndpointError` for a definite refusal and `TokenRefreshUnknown` when the request
    may have been sent but no usable answer came back.
    """

    def __call__(self, refresh_token: str) -> TokenResponse: ...


# -- the store this module needs ----------------------------------------------------------------
class TokenRecordLike(Protocol):
    """The fields of `connector.store.tokens.TokenRecord` this module reads."""

    @property
    def tenant(self) -> str: ...
    @property
    def connection(self) -> str: ...
    @property
    def refresh_token(self) -> str: ...
    @property
    def access_token(self) -> str | None: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def api_domain(self) -> str | None: ...
    @property
    def version(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def state_reason(self) -> str | None: ...


class TokenStore(Protocol):
    """What `connector.store.tokens.TokenRepository` offers (structural, for in-memory fakes)."""

    def get(self, tenant: str, connection: str = "default") -> Any: ...

    def try_lease(
        self, tenant: str, connection: str, owner: str, now: datetime, ttl_seconds: float
    ) -> bool: ...

    def release(self, tenant: str, connection: str, owner: str) -> Any: ...

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
    ) -> bool: ...

    def journal(
        self, tenant: str, connection: str, payload: Any, reason: str, now: datetime
    ) -> Any: ...

    def mark_consent_needed(
        self, tenant: str, connection: str, reason: str, now: datetime
    ) -> Any: ...


def default_owner() -> str:
    """host:pid:random, unique per TokenManager."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class TokenManager:
    """Hands out a valid access token for one (tenant, connection), refreshing when needed.

    Thread-safe; one instance per process and connection is enough, but several (in several
    processes) cooperate through the store's lease and version.
    """

    #: seconds between two looks at the store while another process holds the lease
    poll_interval = 0.5

    def __init__(
        self,
        store: TokenStore,
        tenant: str,
        connection: str,
        platform: str,
        refresher: Refresher,
        clock: Clock,
        leeway: timedelta = timedelta(seconds=60),
        lease_ttl: float = 30.0,
        owner: str | None = None,
    ) -> None:
        self.store = store
        self.tenant = tenant
        self.connection = connection
        self.platform = platform
        self.refresher = refresher
        self.clock = clock
        self.leeway = leeway
        self.lease_ttl = lease_ttl
        self.owner = owner or default_owner()
        self._lock = threading.Lock()
        self._rejected: str | None = None  # an access token the API refused (401)
        #: the last usable record read, so a run does not read the store for every API call
        self._cached: TokenRecordLike | None = None
        self.refreshes = 0  # refresh POSTs made by this manager, for metrics and tests

    # -- public ---------------------------------------------------------------------------------
    @property
    def api_domain(self) -> str | None:
        record = self._read()
        return record.api_domain

    def access_token(self) -> str:
        """A valid access token; refreshes (once, under the lease) when needed."""
        with self._lock:
            cached = self._cached
            if cached is not None and self._usable(cached):
                return str(cached.access_token)
            self._cached = None
            record = self._read()
            if self._usable(record):
                self._cached = record
                return str(record.access_token)
            return self._refresh_under_lease()

    def invalidate(self, access_token: str | None = None) -> None:
        """The API refused `access_token` (401): the next `access_token()` refreshes, unless the
        store already holds a different one (another process refreshed in the meantime)."""
        with self._lock:
            self._cached = None
            if access_token is None:
                record = self.store.get(self.tenant, self.connection)
                access_token = record.access_token if record is not None else None
            self._rejected = access_token or ""

    # -- internals ------------------------------------------------------------------------------
    def _read(self) -> TokenRecordLike:
        record: TokenRecordLike | None = self.store.get(self.tenant, self.connection)
        if record is None:
            raise ConsentNeeded(self.tenant, "no token stored")
        if record.state == "consent_needed":
            raise ConsentNeeded(self.tenant, record.state_reason or "marked consent needed")
        register_secret(record.refresh_token)
        register_secret(record.access_token)
        return record

    def _usable(self, record: TokenRecordLike) -> bool:
        if not record.access_token or record.expires_at is None:
            return False
        if self._rejected is not None and record.access_token == self._rejected:
            return False
        return bool(record.expires_at > self.clock.now() + self.leeway)

    def _refresh_under_lease(self) -> str:
        deadline = self.clock.now() + timedelta(seconds=self.lease_ttl * 2 + 5)
        while not self.store.try_lease(
            self.tenant, self.connection, self.owner, self.clock.now(), self.lease_ttl
        ):
            if self.clock.now() >= deadline:
                raise TokenLeaseTimeout(
                    f"{self.tenant}: another process has held the token refresh lease for more "
                    f"than {self.lease_ttl * 2:.0f} s"
                )
            self.clock.sleep(self.poll_interval)
            record = self._read()
            if self._usable(record):
                return str(record.access_token)
        try:
            return self._refresh_holding_lease()
        finally:
            # commit_refresh clears the lease itself; releasing again is harmless
            self.store.release(self.tenant, self.connection, self.owner)

    def _refresh_holding_lease(self) -> str:
        record = self._read()
        if self._usable(record):
            return str(record.access_token)
        self.refreshes += 1
        try:
            answer = self.refresher(record.refresh_token)
        except TokenEndpointError as exc:
            if exc.kind != "invalid_grant":
                raise
            return self._after_invalid_grant(record, exc)
        register_secret(answer.access_token)
        register_secret(answer.refresh_token)
        now = self.clock.now()
        expires_at = now + timedelta(seconds=answer.expires_in)
        committed = self.store.commit_refresh(
            self.tenant,
            self.connection,
            expected_version=record.version,
            owner=self.owner,
            refresh_token=answer.refresh_token,
            access_token=answer.access_token,
            expires_at=expires_at,
            api_domain=answer.api_domain,
            now=now,
        )
        if not committed:
            self.store.journal(
                self.tenant,
                self.connection,
                _journal_payload(answer, expires_at, record.version),
                "refresh answer could not be committed: version changed",
                now,
            )
            log.error(
                "%s/%s: refreshed token not committed (version %d moved); answer journaled",
                self.tenant,
                self.connection,
                record.version,
            )
            raise TokenCommitConflict(
                f"{self.tenant}: the refreshed token could not be stored (another process "
                "changed it); the answer was journaled"
            )
        self._rejected = None
        log.info("%s/%s: access token refreshed", self.tenant, self.connection)
        return answer.access_token

    def _after_invalid_grant(self, used: TokenRecordLike, exc: TokenEndpointError) -> str:
        """The refresh token was refused: unless another process replaced it meanwhile, the
        user has to consent again."""
        current = self._read()
        if current.version != used.version or current.refresh_token != used.refresh_token:
            log.info("%s: refresh token was replaced by another process; using it", self.tenant)
            if self._usable(current):
                return str(current.access_token)
            raise TokenRefreshUnknown(
                f"{self.tenant}: the token changed during the refresh; try again"
            ) from None
        reason = f"{self.platform} refused the refresh token ({exc.message})"
        self.store.mark_consent_needed(self.tenant, self.connection, reason, self.clock.now())
        log.error("%s: %s; consent needed", self.tenant, reason)
        raise ConsentNeeded(self.tenant, reason) from None


def _journal_payload(
    answer: TokenResponse, expires_at: datetime, expected_version: int
) -> Mapping[str, Any]:
    return {
        "access_token": answer.access_token,
        "refresh_token": answer.refresh_token,
        "expires_at": expires_at.isoformat(),
        "api_domain": answer.api_domain,
        "expected_version": expected_version,
    }
