"""When a read is retried and how long it waits: the server's hint (`Retry-After`, a platform's
own header) or exponential back-off with jitter, within a total budget."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from tenacity import (
    RetryCallState,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from connector.domain.clock import Clock

#: statuses a read is retried on
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: methods retried by default (everything else only with `retry=True`)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WaitHint = Callable[[requests.Response], "float | None"]


def retry_after_seconds(response: requests.Response, now: datetime) -> float | None:
    """`Retry-After` as seconds from `now`: an integer/float, or an HTTP-date (as urllib3 does)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class WaitServerHintOrBackoff:
    """tenacity wait: the server's hint when the last answer carries one, else exp. jitter."""

    def __init__(
        self, clock: Clock, wait_hint: WaitHint | None, initial: float, cap: float
    ) -> None:
        self._clock = clock
        self._wait_hint = wait_hint
        self._fallback = wait_exponential_jitter(initial=initial, max=cap, jitter=initial)

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        if outcome is not None and not outcome.failed:
            response = outcome.result()
            if isinstance(response, requests.Response):
                hint = retry_after_seconds(response, self._clock.now())
                if hint is None and response.status_code == 429 and self._wait_hint is not None:
                    hint = self._wait_hint(response)
                if hint is not None:
                    return max(0.0, float(hint))
        return float(self._fallback(retry_state))


class StopWhenWaitExceeds(stop_base):
    """Give up when the next wait would push the total waiting past `max_wait` seconds."""

    def __init__(self, max_wait: float) -> None:
        self._max_wait = max_wait

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.idle_for + (retry_state.upcoming_sleep or 0.0) > self._max_wait
