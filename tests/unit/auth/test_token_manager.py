"""TokenManager: the rotation-safe refresh recipe, with an in-memory store and a ManualClock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fake_store import MemoryTokenStore

from connector.auth.tokens import (
    ConsentNeeded,
    Refresher,
    TokenCommitConflict,
    TokenEndpointError,
    TokenManager,
    TokenRefreshUnknown,
    TokenResponse,
)
from connector.domain.clock import ManualClock

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
T = "acme"
C = "default"


class CountingRefresher:
    def __init__(self, answer: Callable[[str], TokenResponse] | None = None) -> None:
        self.calls: list[str] = []
        self._answer = answer

    def __call__(self, refresh_token: str) -> TokenResponse:
        self.calls.append(refresh_token)
        if self._answer is not None:
            return self._answer(refresh_token)
        return TokenResponse(f"access-{len(self.calls)}", 3600, None, "https://www.zohoapis.eu")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def store(clock: ManualClock) -> MemoryTokenStore:
    s = MemoryTokenStore()
    s.put_initial(
        T,
        C,
        "zoho",
        refresh_token="refresh-1",
        access_token="access-0",
        expires_at=START + timedelta(minutes=30),
        now=START,
    )
    return s


def manager(
    store: MemoryTokenStore, refresher: Refresher, clock: ManualClock, owner: str = "p1"
) -> TokenManager:
    return TokenManager(store, T, C, "zoho", refresher, clock, owner=owner)


def test_a_stored_token_that_is_still_fresh_is_shared_without_refreshing(
    store: MemoryTokenStore, clock: ManualClock
) -> None:
    refresher = CountingRefresher()
    assert manager(store, refresher, clock).access_token() == "access-0"
    assert manager(store, refresher, clock, owner="p2").access_token() == "access-0"
    assert refresher.calls == []


def test_a_token_within_the_leeway_is_refreshed_once_and_committed_before_use(
    store: MemoryTokenStore, clock: ManualClock
) -> None:
    clock.advance(timedelta(minutes=29, seconds=30))  # 30 s left < 60 s leeway
    refresher = CountingRefresher()
    tm = manager(store, refresher, clock)
    assert tm.access_token() == "access-1"
    assert refresher.calls == ["refresh-1"]
    row = store.get(T, C)
    assert row is not None
    assert row.access_token == "access-1"
    assert row.refresh_token == "refresh-1"  # Zoho returns none: the old one stays
    assert row.version == 2
    assert row.expires_at == clock.now() + timedelta(seconds=3600)
    assert store.leases == {}
    assert tm.access_token() == "access-1"
    assert len(refresher.calls) == 1


def test_a_token_refreshed_by_another_process_under_the_lease_is_reused(
    store: MemoryTokenStore, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))
    store.try_lease(T, C, "other", clock.now(), 30)
    refresher = CountingRefresher()
    tm = manager(store, refresher, clock)

    real_sleep = clock.sleep

    def sleep_and_let_the_other_finish(seconds: float) -> None:
        real_sleep(seconds)
        store.commit_refresh(
            T,
            C,
            expected_version=1,
            owner="other",
            refresh_token=None,
            access_token="from-other",
            expires_at=clock.now() + timedelta(hours=1),
            now=clock.now(),
        )

    clock.sleep = sleep_and_let_the_other_finish  # type: ignore[method-assign]
    assert tm.access_token() == "from-other"
    assert refresher.calls == []


def test_two_threads_needing_a_refresh_make_one_refresh_call(
    store: MemoryTokenStore, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))
    entered = threading.Event()
    release = threading.Event()

    def slow_answer(refresh_token: str) -> TokenResponse:
        entered.set()
        assert release.wait(5)
        return TokenResponse("access-new", 3600)

    refresher = CountingRefresher(slow_answer)
    a = manager(store, refresher, clock, owner="A")
    b = manager(store, refresher, clock, owner="B")
    waits: list[float] = []
    real_sleep = clock.sleep

    def b_sleeps(seconds: float) -> None:  # B polls; A finishes meanwhile
        waits.append(seconds)
        release.set()
        for _ in range(500):
            if store.leases == {}:
                break
            threading.Event().wait(0.002)
        real_sleep(seconds)

    clock.sleep = b_sleeps  # type: ignore[method-assign]
    results: dict[str, str] = {}
    ta = threading.Thread(target=lambda: results.setdefault("a", a.access_token()))
    ta.start()
    assert entered.wait(5)
    results["b"] = b.access_token()
    ta.join(5)
    assert results == {"a": "access-new", "b": "access-new"}
    assert len(refresher.calls) == 1
    assert waits  # B waited on the clock, not for real


def test_threads_sharing_one_manager_refresh_once(
    store: MemoryTokenStore, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))
    refresher = CountingRefresher()
    tm = manager(store, refresher, clock)
    out: list[str] = []
    threads = [threading.Thread(target=lambda: out.append(tm.access_token())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(5)
    assert out == ["access-1"] * 8
    assert len(refresher.calls) == 1


def test_a_failed_compare_and_swap_journals_the_answer_and_raises(
    store: MemoryTokenStore, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))

    def answer_while_someone_else_writes(refresh_token: str) -> TokenResponse:
        store.bump(T, C)  # the version moves under us
        return TokenResponse("lost-access", 3600)

    tm = manager(store, CountingRefresher(answer_while_someone_else_writes), clock)
    with pytest.raises(TokenCommitConflict) as err:
        tm.access_token()
    assert len(store.journaled) == 1
    payload, reason = store.journaled[0]
    assert payload["access_token"] == "lost-access"
    assert payload["expected_version"] == 1
    assert "version" in reason
    assert "lost-access" not in str(err.value)
    assert store.leases == {}


def test_an_unknown_refresh_outcome_releases_the_lease_and_does_not_resend(
    store: MemoryTokenStore, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))

    def timeout(refresh_token: str) -> TokenResponse:
        raise TokenRefreshUnknown("read timed out")

    refresher = CountingRefresher(timeout)
    with pytest.raises(TokenRefreshUnknown):
        manager(store, refresher, clock).access_token()
    assert len(refresher.calls) == 1
    assert store.leases == {}
    row = store.get(T, C)
    assert row is not None and row.state == "ok" and row.version == 1


def test_invalid_grant_marks_consent_needed_when_nobody_else_refreshed(
    store: MemoryTokenStore, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))

    def refused(refresh_token: str) -> TokenResponse:
        raise TokenEndpointError("invalid_grant", "invalid_code")

    with pytest.raises(ConsentNeeded) as err:
        manager(store, CountingRefresher(refused), clock).access_token()
    assert err.value.tenant == T
    row = store.get(T, C)
    assert row is not None and row.state == "consent_needed"
    assert store.leases == {}
    # and from now on nobody tries again until the user logs in
    refresher = CountingRefresher()
    with pytest.raises(ConsentNeeded):
        manager(store, refresher, clock, owner="p2").access_token()
    assert refresher.calls == []


def test_invalid_grant_rereads_the_store_before_marking_consent_needed(
    store: MemoryTokenStore, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))

    def refused_because_replaced(refresh_token: str) -> TokenResponse:
        store.bump(
            T,
            C,
            refresh_token="refresh-2",
            access_token="fresh-from-login",
            expires_at=clock.now() + timedelta(hours=1),
        )
        raise TokenEndpointError("invalid_grant", "invalid_code")

    tm = manager(store, CountingRefresher(refused_because_replaced), clock)
    assert tm.access_token() == "fresh-from-login"
    row = store.get(T, C)
    assert row is not None and row.state == "ok"


def test_a_throttled_token_endpoint_does_not_mark_consent_needed(
    store: MemoryTokenStore, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=1))

    def throttled(refresh_token: str) -> TokenResponse:
        raise TokenEndpointError("throttled", "Access Denied")

    with pytest.raises(TokenEndpointError) as err:
        manager(store, CountingRefresher(throttled), clock).access_token()
    assert err.value.kind == "throttled"
    row = store.get(T, C)
    assert row is not None and row.state == "ok"
    assert store.leases == {}


def test_invalidate_forces_one_refresh_of_the_refused_token(
    store: MemoryTokenStore, clock: ManualClock
) -> None:
    refresher = CountingRefresher()
    tm = manager(store, refresher, clock)
    token = tm.access_token()
    tm.invalidate(token)
    assert tm.access_token() == "access-1"
    assert tm.access_token() == "access-1"
    assert len(refresher.calls) == 1


def test_invalidate_uses_a_token_another_process_already_replaced(
    store: MemoryTokenStore, clock: ManualClock
) -> None:
    refresher = CountingRefresher()
    tm = manager(store, refresher, clock)
    tm.invalidate(tm.access_token())
    store.bump(T, C, access_token="other-new", expires_at=clock.now() + timedelta(hours=1))
    assert tm.access_token() == "other-new"
    assert refresher.calls == []


def test_no_stored_token_means_consent_needed(clock: ManualClock) -> None:
    with pytest.raises(ConsentNeeded):
        manager(MemoryTokenStore(), CountingRefresher(), clock).access_token()
