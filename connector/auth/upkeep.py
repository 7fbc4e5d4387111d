"""Token upkeep for `serve` and `worker`: kept answers first, then a daily keep-alive refresh.

Some platforms' refresh tokens lapse when unused (their `Platform.keep_alive` says how to refresh
one). Exact's lapse after about 30 days without use ("The refresh token expired at …"), and a
client that is paused, disabled, or whose runs stop before the API is called would silently lose
its connection. So every Exact connection whose last refresh is a day old is
refreshed once (through its TokenManager: under the lease, committed before use, never earlier
than the 570-second rule allows). Before that, any token answer this machine kept in its local
token file is committed (`recover_all`): the same recovery every refresh does first, done at start
so it does not wait for the client's next run.

Time is the caller's clock (`--now` shifts it); one database query finds the due connections
whatever the number of clients, and each round refreshes at most `limit` of them (the rest are
due again at the next round), so a tick stays short.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from connector.auth.tokens import TokenError, recover_all
from connector.config import ClientConfig
from connector.domain.clock import Clock
from connector.platforms import KeepAlive, platforms

log = logging.getLogger("connector.auth.upkeep")

#: refresh a connection whose last refresh is older than this
KEEP_ALIVE_AGE = timedelta(days=1)
#: keep-alive refreshes per round at most (the rest wait for the next round)
ROUND_LIMIT = 20


@dataclass
class UpkeepResult:
    recovered: int = 0
    refreshed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def token_upkeep(app: Any, clock: Clock, *, limit: int = ROUND_LIMIT) -> UpkeepResult:
    """Commit kept token answers, then keep-alive refresh the due connections of the platforms
    whose tokens lapse (Exact Online).

    `app` is a `connector.app.App` (its token store and client files). Never raises for one
    client: failures are logged and returned, the next round tries again."""
    result = UpkeepResult()
    now = clock.now()
    try:
        result.recovered = recover_all(app.tokens, now)
    except Exception as exc:
        log.error("recovering kept token answers failed (%s)", type(exc).__name__)
    cutoff = now - KEEP_ALIVE_AGE
    try:
        due = app.tokens.due_for_keep_alive(lapsing(), cutoff)
    except Exception as exc:
        log.error("token keep-alive: the token store cannot be read (%s)", type(exc).__name__)
        return result
    for tenant, connection in due[:limit]:
        client = app.config.clients.get(tenant)
        keep_alive = _keep_alive(client)
        if client is None or keep_alive is None or connection != "default":
            continue  # no client file (or another platform) any more: nothing to refresh with
        try:
            manager = keep_alive(client.settings, app.tokens, tenant, clock)
            if manager.keep_alive(KEEP_ALIVE_AGE):
                result.refreshed.append(tenant)
                log.info("%s: token kept alive (no refresh for a day)", tenant)
        except TokenError as exc:
            result.failed[tenant] = str(exc)
            log.warning("%s: token keep-alive failed: %s", tenant, exc)
        except Exception as exc:
            result.failed[tenant] = type(exc).__name__
            log.error("%s: token keep-alive failed (%s)", tenant, type(exc).__name__)
    return result


def lapsing() -> tuple[str, ...]:
    """The platforms whose refresh tokens lapse when unused."""
    return tuple(sorted(name for name, p in platforms().items() if p.keep_alive is not None))


def _keep_alive(client: ClientConfig | None) -> Callable[..., KeepAlive] | None:
    if client is None or client.platform not in platforms():
        return None
    return platforms()[client.platform].keep_alive
