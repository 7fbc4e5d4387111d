"""A faithful local fake of Zoho Books API v3 and Zoho Accounts OAuth, for tests, demo, benchmarks.

It imports nothing from `connector`: it is the platform, not a client of it. See
`docs/zoho-books.md` for the behaviour it copies, `state.py` and `app.py` for
the choices made where Zoho's documentation is silent, and `control.py` for `/_sandbox/…`.

    clock = SandboxClock()
    state = ZohoState(clock.now)
    info = seed_demo(state)
    tokens = demo_tokens(state, info)
    with LoopbackServer(make_app(state)) as server:
        ...  # accounts server and API domain are both server.url
"""

from sandboxes.kit.clock import SandboxClock
from sandboxes.zoho.app import ZohoRouter, make_app
from sandboxes.zoho.control import fault_from_json, zoho_fault
from sandboxes.zoho.generate import (
    BULK_ORG,
    DEMO_ORG,
    HABITS,
    BulkLedger,
    DemoInfo,
    PaymentSimulator,
    bulk_ledger,
    demo_tokens,
    seed_demo,
    touch_share,
)
from sandboxes.zoho.state import (
    ApiError,
    Limits,
    OAuthError,
    SentMail,
    TokenSet,
    ZohoState,
)

__all__ = [
    "BULK_ORG",
    "DEMO_ORG",
    "HABITS",
    "ApiError",
    "BulkLedger",
    "DemoInfo",
    "Limits",
    "OAuthError",
    "PaymentSimulator",
    "SandboxClock",
    "SentMail",
    "TokenSet",
    "ZohoRouter",
    "ZohoState",
    "bulk_ledger",
    "demo_tokens",
    "fault_from_json",
    "make_app",
    "seed_demo",
    "touch_share",
    "zoho_fault",
]
