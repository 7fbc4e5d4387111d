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
   caller gets `TokenCommitConflict`. A rotated answer is first written to the local token file
   (`connector.auth.spool`, fsynced); a commit the database refuses is retried for
   `commit_patience` seconds (never past the new access token's validity), then kept in that
   file (and the journal, if it takes the insert) for `recover_answers`, which runs before every
   refresh and at the start of `serve`/`worker` (`TokenCommitDeferred`).
6. An unknown outcome (timeout or connection error after sending) releases the lease and raises
   `TokenRefreshUnknown` without resending. An ``invalid_grant`` answer first re-reads the store
   (another process may have refreshed meanwhile) and only then marks the connection "consent
   needed" and raises `ConsentNeeded`.

Refreshes in flight are tracked (`IN_FLIGHT`) so that `serve` and `worker` can wait for them
before exiting (`wait_for_refreshes`).

No lock is held across the network call other than the store's lease row, so this works the same
on SQLite and PostgreSQL and across machines.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from connector.auth.spool import TokenSpool
from connector.domain.clock import Clock
from connector.logs.redact import register_secret

log = logging.getLogger("connector.auth")

#: default seconds `commit_refresh` is retried after a token answer (bounded further by the new
#: access token's validity): a database fail-over or a short lock, not a long outage
COMMIT_PATIENCE = 60.0

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


class TokenCommitDeferred(TokenError):
    """A token answer arrived but the database did not take it within the retry time; the
    answer is kept in the local token file (and journaled if possible) for the next start."""


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


class RefreshesInFlight:
    """Token refreshes running in this process, so that `serve` and `worker` can wait for them
    before exiting: a process that stops between Exact's answer and the commit would make the
    next start depend on recovery."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running: dict[int, str] = {}

    @contextmanager
    def track(self, label: str) -> Iterator[None]:
        key = id(threading.current_thread())
        with self._cond:
            self._running[key] = label
        try:
            yield
        finally:
            with self._cond:
                self._running.pop(key, None)
                self._cond.notify_all()

    def running(self) -> list[str]:
        with self._cond:
            return sorted(self._running.values())

    def wait(self, timeout: float) -> bool:
        """Wait (wall time, at most `timeout` s) until no refresh runs; True if none does."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._running, timeout)


#: the refreshes of this process (`wait_for_refreshes` at shutdown)
IN_FLIGHT = RefreshesInFlight()

#: how long `serve`/`worker` wait at shutdown for a refresh in flight: the token POST's read
#: timeout (30 s) plus a commit; a longer database outage is covered by the local token file
SHUTDOWN_WAIT_SECONDS = 45.0


def wait_for_refreshes(timeout: float = SHUTDOWN_WAIT_SECONDS) -> bool:
    """Block until no token refresh of this process is in flight (bounded); logs what it
    waits for. True when none is left."""
    running = IN_FLIGHT.running()
    if not running:
        return True
    log.info("waiting for the token refresh of %s to finish", ", ".join(running))
    done = IN_FLIGHT.wait(timeout)
    if not done:
        log.error(
            "token refresh of %s still running after %gs; exiting anyway (its answer is in the "
            "local token file or the refresh marker tells the next start what happened)",
            ", ".join(IN_FLIGHT.running()),
            timeout,
        )
    return done


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
        spool: TokenSpool | None = None,
        commit_patience: float = COMMIT_PATIENCE,
        min_refresh_interval: timedelta | None = None,
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
        #: where a rotated answer is kept until the database holds it (the store's, if any)
        self.spool: TokenSpool | None = (
            spool if spool is not None else getattr(store, "spool", None)
        )
        self.commit_patience = commit_patience
        #: the token endpoint's own pace (Zoho: 10 access tokens per 10 minutes per refresh
        #: token, so one a minute): a refresh waits until this long after the last one, which
        #: the store keeps (`last_refresh_at`), so the pace holds across waits and workers
        self.min_refresh_interval = min_refresh_interval

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

    def keep_alive(self, max_age: timedelta) -> bool:
        """Refresh if the last refresh is older than `max_age` (platforms whose refresh tokens
        lapse when unused, e.g. Exact after about 30 days); True if it refreshed."""
        with self._lock:
            record = self._read()
            last = _last_refresh(record)
            if last is not None and last > self.clock.now() - max_age:
                return False
            self._cached = None
            self._rejected = record.access_token or ""  # force a refresh under the lease
            try:
                self._refresh_under_lease(force_older_than=self.clock.now() - max_age)
            finally:
                self._rejected = None
            return True

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

    def _pace(self, force_older_than: datetime | None) -> str | None:
        """Wait until the token endpoint's pace allows a refresh (issue #18); the access token
        if another process refreshed meanwhile."""
        if self.min_refresh_interval is None:
            return None
        record = self._read()
        last = getattr(record, "last_refresh_at", None)
        if last is None:
            return None
        wait = (last + self.min_refresh_interval - self.clock.now()).total_seconds()
        if wait <= 0:
            return None
        log.info(
            "%s/%s: waiting %.0f s for the token endpoint's pace",
            self.tenant,
            self.connection,
            wait,
        )
        self.clock.sleep(wait)
        record = self._read()
        if self._usable(record) and not _older(record, force_older_than):
            return str(record.access_token)
        return None

    def _refresh_under_lease(self, force_older_than: datetime | None = None) -> str:
        paced = self._pace(force_older_than)
        if paced is not None:
            return paced
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
            if self._usable(record) and not _older(record, force_older_than):
                return str(record.access_token)
        try:
            with IN_FLIGHT.track(f"{self.tenant}/{self.connection}"):
                return self._refresh_holding_lease(force_older_than)
        finally:
            # commit_refresh clears the lease itself; releasing again is harmless, and a release
            # the database refuses expires with the lease's TTL
            try:
                self.store.release(self.tenant, self.connection, self.owner)
            except Exception as exc:
                log.warning(
                    "%s/%s: token lease not released (%s); it expires by itself",
                    self.tenant,
                    self.connection,
                    type(exc).__name__,
                )

    def _refresh_holding_lease(self, force_older_than: datetime | None = None) -> str:
        # an answer that an earlier process received but could not commit comes first: it
        # holds the only live successor of the stored refresh token
        recover_answers(self.store, self.tenant, self.connection, self.clock.now(), self.spool)
        record = self._read()
        if self._usable(record) and not _older(record, force_older_than):
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
        payload = _journal_payload(answer, expires_at, record.version)
        payload["refreshed_from"] = _fingerprint(record.refresh_token)
        spooled = None
        if answer.refresh_token and self.spool is not None:
            # the only copy of the next refresh token: on disk before the database is asked
            try:
                spooled = self.spool.write(self.tenant, self.connection, payload)
            except OSError as exc:
                log.error(
                    "%s/%s: the local token file could not be written (%s); committing anyway",
                    self.tenant,
                    self.connection,
                    type(exc).__name__,
                )
        committed = self._commit_with_retries(record, answer, expires_at, payload, spooled)
        if spooled is not None and self.spool is not None:
            self.spool.remove(spooled)
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

    def _commit_with_retries(
        self,
        record: TokenRecordLike,
        answer: TokenResponse,
        expires_at: datetime,
        payload: Mapping[str, Any],
        spooled: Path | None,
    ) -> bool:
        """`commit_refresh`, retried while the database fails, for at most `commit_patience`
        seconds and never past the new access token's validity. The outcome of the CAS (True,
        or False: the version moved). Still failing: `TokenCommitDeferred` (the answer stays in
        the local token file, and in the journal if the database takes that insert)."""
        started = self.clock.now()
        deadline = min(started + timedelta(seconds=self.commit_patience), expires_at - self.leeway)
        delay = 0.2
        attempt = 0
        while True:
            attempt += 1
            try:
                return bool(
                    self.store.commit_refresh(
                        self.tenant,
                        self.connection,
                        expected_version=record.version,
                        owner=self.owner,
                        refresh_token=answer.refresh_token,
                        access_token=answer.access_token,
                        expires_at=expires_at,
                        api_domain=answer.api_domain,
                        now=self.clock.now(),
                    )
                )
            except Exception as exc:  # the database: unreachable, locked, failing over
                failure = type(exc).__name__
                if attempt == 1:
                    log.warning(
                        "%s/%s: the refreshed token could not be committed (%s); retrying for "
                        "up to %.0f s%s",
                        self.tenant,
                        self.connection,
                        failure,
                        max(0.0, (deadline - started).total_seconds()),
                        "; the answer is kept in the local token file" if spooled else "",
                    )
            remaining = (deadline - self.clock.now()).total_seconds()
            if remaining <= 0:
                break
            self.clock.sleep(min(delay, remaining))
            delay = min(delay * 2, 5.0)
        journaled = False
        if answer.refresh_token:
            try:  # the journal may still take an insert where the row update failed
                self.store.journal(
                    self.tenant,
                    self.connection,
                    payload,
                    pending_reason(record.version),
                    self.clock.now(),
                )
                journaled = True
            except Exception:
                journaled = False
        where = " and ".join(
            w for w, ok in (("the local token file", spooled), ("the journal", journaled)) if ok
        )
        log.error(
            "%s/%s: the database did not take the refreshed token (%s) within %.0f s; %s",
            self.tenant,
            self.connection,
            failure,
            (self.clock.now() - started).total_seconds(),
            f"kept in {where} for the next start" if where else "the answer is lost",
        )
        if spooled is None and not journaled:
            raise TokenRefreshUnknown(
                f"{self.tenant}: the refreshed token could not be stored ({failure})"
            )
        raise TokenCommitDeferred(
            f"{self.tenant}: the database did not take the refreshed token ({failure}); it is "
            f"kept in {where} and stored at the next start"
        )

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
) -> dict[str, Any]:
    return {
        "access_token": answer.access_token,
        "refresh_token": answer.refresh_token,
        "expires_at": expires_at.isoformat(),
        "api_domain": answer.api_domain,
        "expected_version": expected_version,
    }


#: the journal reason of an answer the database took as an insert but not as the token update
PENDING_PREFIX = "pending answer for version "


def pending_reason(version: int) -> str:
    return f"{PENDING_PREFIX}{version}"


def _fingerprint(refresh_token: str) -> str:
    return hashlib.sha256(refresh_token.encode()).hexdigest()[:24]


def _last_refresh(record: Any) -> datetime | None:
    last = getattr(record, "last_refresh_at", None)
    if last is not None:
        return last  # type: ignore[no-any-return]
    expires = record.expires_at
    return expires - timedelta(seconds=600) if expires is not None else None


def _older(record: Any, cutoff: datetime | None) -> bool:
    if cutoff is None:
        return False
    last = _last_refresh(record)
    return last is None or last <= cutoff


def recover_answers(
    store: TokenStore,
    tenant: str,
    connection: str,
    now: datetime,
    spool: TokenSpool | None = None,
) -> int:
    """Commit token answers that were received but never committed; returns how many.

    Read before any refresh (and by `serve`/`worker` at start): the local token files of this
    machine (`spool`), then the journal's pending answers for the stored version (what a
    process whose row update failed managed to insert). An answer counts only if it was issued
    for the refresh token still stored (same version and fingerprint); any other is stale (the
    chain moved on, or a new consent replaced it) and is journaled, never dropped silently."""
    recovered = 0
    if spool is not None:
        for path, payload in spool.pending(tenant, connection):
            record = store.get(tenant, connection)
            if record is None:
                store.journal(tenant, connection, payload, "local token file: no connection", now)
            elif record.refresh_token == payload.get("refresh_token"):
                pass  # committed before the file could be removed
            elif _applies(record, payload) and _apply(store, tenant, connection, payload, now):
                store.journal(tenant, connection, payload, "recovered from local token file", now)
                log.warning(
                    "%s/%s: token answer recovered from the local token file", tenant, connection
                )
                recovered += 1
            else:
                store.journal(
                    tenant, connection, payload, "local token file not applied: stale", now
                )
                log.warning("%s/%s: a stale local token file was set aside", tenant, connection)
            spool.remove(path)
    pending = getattr(store, "pending_answers", None)
    record = store.get(tenant, connection)
    if pending is not None and record is not None:
        for payload in pending(tenant, connection, pending_reason(record.version)):
            if _applies(record, payload) and _apply(store, tenant, connection, payload, now):
                log.warning("%s/%s: token answer recovered from the journal", tenant, connection)
                recovered += 1
                break
    return recovered


def _applies(record: Any, payload: Mapping[str, Any]) -> bool:
    source = payload.get("refreshed_from")
    return bool(
        payload.get("refresh_token")
        and payload.get("expected_version") == record.version
        and (source is None or source == _fingerprint(record.refresh_token))
    )


def _apply(
    store: TokenStore, tenant: str, connection: str, payload: Mapping[str, Any], now: datetime
) -> bool:
    register_secret(payload.get("access_token"))
    register_secret(payload.get("refresh_token"))
    return bool(
        store.commit_refresh(
            tenant,
            connection,
            expected_version=int(payload["expected_version"]),
            owner="recovery",
            refresh_token=str(payload["refresh_token"]),
            access_token=str(payload["access_token"]),
            expires_at=datetime.fromisoformat(str(payload["expires_at"])),
            api_domain=payload.get("api_domain"),
            now=now,
        )
    )


def recover_all(store: Any, now: datetime) -> int:
    """At start (before any refresh): every local token file of this machine."""
    spool: TokenSpool | None = getattr(store, "spool", None)
    if spool is None:
        return 0
    seen = {(str(p.get("tenant")), str(p.get("connection"))) for _, p in spool.everything()}
    total = 0
    for tenant, connection in sorted(seen):
        try:
            total += recover_answers(store, tenant, connection, now, spool)
        except Exception as exc:
            log.error(
                "%s/%s: token recovery failed (%s); tried again before its next refresh",
                tenant,
                connection,
                type(exc).__name__,
            )
    return total
