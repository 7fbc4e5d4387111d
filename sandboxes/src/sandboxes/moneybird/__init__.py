"""A local fake of Moneybird's API v2, for tests, the demo and benchmarks, written from Moneybird's
documentation (docs/moneybird.md names the sources).

It imports nothing from `connector`: it is the platform, not a client of it. It serves exactly
the endpoints, parameters, filter keys, body properties and record properties of the reference
the adapter is checked against (``adapters/moneybird/reference``, see documented.py), and refuses
the rest. `state.py` and `app.py` list the choices made where the documentation is silent;
`control.py` the ``/_sandbox/`` surface.

    clock = SandboxClock()
    state = MoneybirdState(clock.now)
    info = seed_demo(state)
    with LoopbackServer(make_app(state)) as server:
        ...
"""

from sandboxes.kit.clock import SandboxClock
from sandboxes.moneybird.app import MoneybirdRouter, make_app, unserved
from sandboxes.moneybird.control import fault_from_json
from sandboxes.moneybird.generate import (
    BulkLedger,
    DemoInfo,
    PaymentSimulator,
    bulk_ledger,
    demo_tokens,
    ensure_demo_app,
    seed_demo,
)
from sandboxes.moneybird.state import (
    ApiError,
    Limits,
    MoneybirdState,
    OAuthError,
    Reminder,
    Token,
)

__all__ = [
    "ApiError",
    "BulkLedger",
    "DemoInfo",
    "Limits",
    "MoneybirdRouter",
    "MoneybirdState",
    "OAuthError",
    "PaymentSimulator",
    "Reminder",
    "SandboxClock",
    "Token",
    "bulk_ledger",
    "demo_tokens",
    "ensure_demo_app",
    "fault_from_json",
    "make_app",
    "seed_demo",
    "unserved",
]
