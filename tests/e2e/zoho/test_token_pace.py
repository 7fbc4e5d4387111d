"""Token refreshes paced by the token endpoint's own limits (issue #18): Zoho allows 10 access
tokens per 10 minutes per refresh token, through hours of rate-limit waits and across workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from connector.tenant import Tenant
from sandboxes.zoho import Limits, ZohoState
from sandboxes.zoho.generate import DemoInfo, seed_demo
from sandboxes.zoho.world import ZohoWorld

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TOKEN = "POST /oauth/v2/token"


def empty_ledger(state: ZohoState, org: str, seed: int) -> DemoInfo:
    return seed_demo(state, seed=seed, customers=0, invoices=0, organization_id=org)


def _world(tmp_path: Path, limits: Limits) -> ZohoWorld:
    return ZohoWorld.open(tmp_path, start=START, limits=limits, populate=empty_ledger)


def _drive(tenant: Tenant, world: ZohoWorld, hours: float) -> int:
    """API reads until `hours` of the shared (sandbox and connector) clock have passed."""
    calls = 0
    while world.clock.now() < START + timedelta(hours=hours):
        assert tenant.ledger.check()  # a read: waits (on the clock) when Zoho says 429
        calls += 1
    return calls


def test_hours_of_rate_limit_waits_with_short_lived_tokens_stay_within_ten_per_ten_minutes(
    tmp_path: Path,
) -> None:
    # three calls a minute (every further call waits for the minute), access tokens that are
    # usable for ten seconds (70 s, refreshed 60 s early): unpaced, a token for nearly every call
    world = _world(tmp_path, Limits(per_minute=3, access_ttl=70))
    try:
        tenant = world.app.tenant("demo", world.clock)
        before = world.state.stats.calls[TOKEN]
        calls = _drive(tenant, world, hours=2)
        tokens = world.state.stats.calls[TOKEN] - before
        assert calls > 100, "two hours of calls, many of them after a rate-limit wait"
        assert 0 < tokens <= 10 * 12 + 1, "never more than Zoho's 10 per 10 minutes"
        assert tokens >= 60, "yet refreshed as the tokens expired"
    finally:
        world.close()


def test_two_workers_share_the_pace_through_the_token_store(tmp_path: Path) -> None:
    world = _world(tmp_path, Limits(per_minute=100, access_ttl=90))
    try:
        first = world.app.tenant("demo", world.clock)
        second = world.app.tenant("demo", world.clock)  # another worker: its own token manager
        before = world.state.stats.calls[TOKEN]
        while world.clock.now() < START + timedelta(hours=1):
            assert first.ledger.check() and second.ledger.check()
            world.clock.advance(timedelta(seconds=20))
        tokens = world.state.stats.calls[TOKEN] - before
        assert tokens <= 6 * 10 + 1, "one pace for both: the store keeps the last refresh"
    finally:
        world.close()
