"""A local fake of Mollie's Payment Links API, for the pay-link tests (issue #14).

Written from Mollie's documentation as the connector's reference list records it
(connector/payments/reference/mollie-payment-links.json): it refuses what is not documented
there, makes a link once per idempotency key, serves a pay page that marks a link paid and
calls the link's webhook the way Mollie does (``id=tr_...``, form-encoded, proving nothing).

    state = MollieState(clock.now, api_keys=("test_sandbox",))
    with LoopbackServer(make_app(state)) as server:
        ...  # payments: {provider: mollie, api_key: ..., api_url: server.url}
"""

from sandboxes.mollie.app import make_app
from sandboxes.mollie.state import PAY_HOST, MollieState, PaymentLink, reference

__all__ = ["PAY_HOST", "MollieState", "PaymentLink", "make_app", "reference"]
