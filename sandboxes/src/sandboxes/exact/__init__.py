"""A faithful local fake of Exact Online's REST API, for tests, the demo and benchmarks.

It imports nothing from `connector`: it is the platform, not a client of it. See
`docs/exact-online.md` for the behaviour it copies, `state.py` and `app.py` for
the choices made where Exact's documentation is silent, and `control.py` for `/_sandbox/…`.

    clock = SandboxClock()
    state = ExactState(clock.now)
    info = seed_demo(state)
    with LoopbackServer(make_app(state)) as server:
        ...
"""

from sandboxes.exact.app import ExactRouter, make_app
from sandboxes.exact.control import fault_from_json
from sandboxes.exact.generate import (
    HABITS,
    BulkLedger,
    DemoInfo,
    PaymentSimulator,
    bulk_ledger,
    demo_tokens,
    seed_demo,
    touch_share,
)
from sandboxes.exact.state import ExactState, Limits, OAuthError, TokenSet
from sandboxes.kit.clock import SandboxClock

__all__ = [
    "HABITS",
    "BulkLedger",
    "DemoInfo",
    "ExactRouter",
    "ExactState",
    "Limits",
    "OAuthError",
    "PaymentSimulator",
    "SandboxClock",
    "TokenSet",
    "bulk_ledger",
    "demo_tokens",
    "fault_from_json",
    "make_app",
    "seed_demo",
    "touch_share",
]
