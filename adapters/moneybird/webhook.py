"""Moneybird webhooks: a push about a payment or a state change brings the client's next run
forward.

Moneybird (https://developer.moneybird.com/webhooks) POSTs a JSON payload to the URL given when
subscribing and retries (up to 10 times, at growing intervals) until it gets HTTP 200; it signs
nothing, and advises "token authentication in the URL". So the URL is
``{moneybird.webhook_url}/moneybird/webhook/<client>:<moneybird.webhook_token>``, and `handle`
answers ``POST /moneybird/webhook/<client>:<token>`` on `dunning serve`'s webhook listener (a
colon, not a slash, before the token: the log redaction replaces a registered token where it
stands as a word of its own, and a slash would make it part of the path's word):

  * the token is compared in constant time with the client's; an unknown client, a client
    without a token and a wrong token all answer the same 401 (no answer tells an outsider
    which client names exist);
  * with the right token a push answers 200, and one that names an entity (a JSON object with
    ``entity_type``) calls `trigger(client, content)`, with only the payload's short scalar
    fields: the payload only says *that* something changed, the next run's sync reads what;
    a lost or repeated push therefore changes nothing (no replay guard is needed);
  * a body larger than `MAX_BODY` answers 413, before it is parsed.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from adapters.moneybird.client import MoneybirdClient
from adapters.moneybird.endpoints import ADD_WEBHOOK, WEBHOOK, WEBHOOKS

log = logging.getLogger("adapters.moneybird.webhook")

Trigger = Callable[[str, dict[str, Any]], None]
PREFIX = "/moneybird/webhook/"
MAX_BODY = 256 * 1024
#: payment and state events (https://developer.moneybird.com/webhooks/events)
EVENTS: tuple[str, ...] = (
    "payment_registered",
    "payment_destroyed",
    "sales_invoice_state_changed_to_paid",
    "sales_invoice_state_changed_to_late",
    "sales_invoice_state_changed_to_open",
    "sales_invoice_state_changed_to_uncollectible",
)
#: the payload fields handed to the trigger (documented payload: administration_id,
#: webhook_id, webhook_token, entity_type, entity_id, state, action, entity); never the token
_KEPT = ("administration_id", "entity_type", "entity_id", "state", "action")


def callback_url(base: str, slug: str, token: str) -> str:
    """The URL Moneybird posts to. HTTPS is required, except on loopback (a local trial
    against the sandbox)."""
    parts = urlsplit(base)
    host = (parts.hostname or "").lower()
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError(f"moneybird.webhook_url must be an https:// URL (got {parts.scheme}://)")
    return f"{base.rstrip('/')}{PREFIX}{slug}:{token}"


def handle(path: str, body: bytes, secrets: Mapping[str, str], trigger: Trigger) -> tuple[int, str]:
    """One ``POST /moneybird/webhook/<client>:<token>``: (HTTP status, text)."""
    if not path.startswith(PREFIX):
        return 404, "not found"
    if len(body) > MAX_BODY:
        return 413, "too large"
    slug, _, token = path[len(PREFIX) :].strip("/").partition(":")
    expected = secrets.get(slug)
    if not expected or not token or not hmac.compare_digest(token.encode(), expected.encode()):
        log.info("moneybird webhook refused: unknown client or wrong token")
        return 401, "rejected"
    try:
        payload = json.loads(body or b"null")
    except (ValueError, RecursionError):
        payload = None
    if isinstance(payload, dict) and payload.get("entity_type"):
        content = {
            key: str(payload[key])[:100]
            for key in _KEPT
            if isinstance(payload.get(key), str | int) and not isinstance(payload.get(key), bool)
        }
        trigger(slug, content)
    return 200, "ok"


def subscribe(
    client: MoneybirdClient, url: str, events: Iterable[str] = EVENTS
) -> tuple[str, bool]:
    """Subscribe `url` to `events` unless a webhook with that URL exists (listed first);
    returns (webhook id, created)."""
    for row in client.rows(WEBHOOKS):
        if WEBHOOK.get(row, "url") == url:
            return str(WEBHOOK.get(row, "id")), False
    answer = client.write(
        ADD_WEBHOOK, ADD_WEBHOOK.body({"url": url, "enabled_events": list(events)})
    )
    ref = WEBHOOK.get(answer, "id") if isinstance(answer, dict) else None
    return str(ref or "?"), True
