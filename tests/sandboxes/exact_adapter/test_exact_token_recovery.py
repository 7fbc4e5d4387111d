"""After a refresh whose answer was lost, Exact's 570-second rule refuses the redo for a while:
the connector waits (a throttled run, never "consent needed") and then carries the chain on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from exact_world import ExactWorld

from adapters.exact.adapter import exact_token_manager
from connector.auth.tokens import TokenEndpointError


class AnswerLost(Exception):
    """Stands for the process dying between Exact's answer and the commit."""


def _lose_answer(point: str) -> None:
    if point == "after_response":
        raise AnswerLost


def test_a_lost_refresh_answer_is_redone_after_the_570_second_rule_without_new_consent(
    world: ExactWorld,
) -> None:
    stored = world.tokens.get("acme")
    assert stored is not None
    world.clock.advance(timedelta(seconds=31))  # the access token is due for a refresh
    losing = exact_token_manager(
        world.settings(),
        world.tokens,
        tenant="acme",
        clock=world.clock,
        hook=_lose_answer,
        marker_patience=60,
    )
    with pytest.raises(AnswerLost):
        losing.access_token()
    assert world.state.stats.token_calls == 1

    # the next hourly run, well past the marker's patience but inside Exact's 570 s of the lost
    # pair: Exact refuses the redo as too early; that is a wait, not a lost chain
    world.clock.advance(timedelta(seconds=120))
    tokens = exact_token_manager(
        world.settings(), world.tokens, tenant="acme", clock=world.clock, marker_patience=60
    )
    with pytest.raises(TokenEndpointError) as refused:
        tokens.access_token()
    assert refused.value.kind == "throttled"
    record = world.tokens.get("acme")
    assert record is not None and record.state != "consent_needed"
    assert record.refresh_token == stored.refresh_token

    world.clock.advance(timedelta(minutes=10))
    access = tokens.access_token()
    after = world.tokens.get("acme")
    assert after is not None and world.state.refresh_token_state(after.refresh_token) == "live"
    me = world.state.authenticate(f"Bearer {access}")
    assert me.user_id == world.user_id
    assert world.state.stats.token_errors.get("unauthorized_client", 0) == 0, (
        "a retired refresh token was presented"
    )
