"""Mollie's webhook on `dunning serve`'s webhook listener: ``POST /mollie/webhook/<client>``.

Mollie posts one form field, ``id`` (a payment ``tr_...`` or a payment link ``pl_...``), and
signs nothing: the call proves nothing by itself (docs.mollie.com/reference/webhooks). So the
body is only a reason to look: the client's links are fetched from Mollie with the client's
own API key (`connector.payments.links.PaymentLinks.confirm`), and only a link Mollie says was
paid puts its invoices on hold. A forged call costs at most a few reads of our own links.

Answers: 200 for any well-formed call of a client with Mollie links, whatever the id (Mollie
only needs to know it arrived; an unknown id tells the caller nothing); 404 for a path that is
not a client with Mollie links; 400 for a body without one plausible id; 503 when Mollie could
not be asked (Mollie calls again later).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from urllib.parse import parse_qs

from connector.app import App
from connector.config.models import PaymentSettings
from connector.domain.clock import Clock
from connector.payments.links import payment_links
from connector.payments.mollie import PaymentProviderError

log = logging.getLogger("connector.serve.payments")

PREFIX = "/mollie/webhook/"
#: how the listener's log line names the endpoint
PATH_HINT = PREFIX + "<client>"
_ID = re.compile(r"^(tr|pl)_[A-Za-z0-9]{1,64}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class MollieWebhook:
    """The receiver; `app` is asked for at each call (a reload replaces it)."""

    def __init__(self, app: Callable[[], App], clock: Clock) -> None:
        self._app = app
        self.clock = clock

    def __call__(self, path: str, body: bytes) -> tuple[int, str]:
        slug = path[len(PREFIX) :] if path.startswith(PREFIX) else ""
        app = self._app()
        client = app.config.clients.get(slug) if _SLUG.match(slug) else None
        settings = client.payments if client is not None and client.enabled else None
        if client is None or not isinstance(settings, PaymentSettings):
            return 404, "not found"
        posted = _posted_id(body)
        if posted is None:
            return 400, "expected one form field id=tr_... or id=pl_..."
        links = payment_links(
            app.engine,
            self.clock,
            tenant=slug,
            company=client.display_name,
            timezone=client.timezone or app.config.connector.timezone,
            settings=settings,
        )
        assert links is not None
        try:
            confirmed = links.confirm(posted)
        except PaymentProviderError as exc:
            log.warning("%s: Mollie webhook %s not verified: %s", slug, posted, exc)
            return 503, "try again later"
        for paid in confirmed:
            log.info(
                "%s: Mollie confirmed %s paid (%s): %d invoice(s) wait for the ledger",
                slug,
                paid.link_id,
                paid.amount,
                len(paid.invoice_refs),
            )
        return 200, "ok"


def _posted_id(body: bytes) -> str | None:
    try:
        fields = parse_qs(body.decode("ascii"), max_num_fields=5, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    ids = fields.get("id", [])
    if len(ids) != 1 or not _ID.match(ids[0]):
        return None
    return ids[0]
