"""The Mollie sandbox's state: payment links, the payments made through them, webhook calls.

Written from Mollie's documentation (the connector's reference list,
connector/payments/reference/mollie-payment-links.json, names the sources): a link is made by
``POST /v2/payment-links`` (an ``Idempotency-Key`` repeated gives the first answer again), does
not expire unless `expiresAt` says so, is paid once (not `reusable`), gets `paidAt` when
paid; a payment (``tr_...``) is created only when the customer pays; Mollie then POSTs
``id=tr_...`` form-encoded to the link's `webhookUrl` and expects the receiver to fetch.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any

#: where Mollie's payment pages live (the documented form of `_links.paymentLink.href`)
PAY_HOST = "https://payment-links.mollie.com"


def reference() -> dict[str, Any]:
    """The connector's documented list of Mollie's names, which the fake holds requests to."""
    text = (
        resources.files("connector.payments.reference")
        .joinpath("mollie-payment-links.json")
        .read_text()
    )
    data: dict[str, Any] = json.loads(text)
    return data


@dataclass
class PaymentLink:
    id: str
    code: str
    description: str
    currency: str
    value: str
    created_at: datetime
    mode: str
    reusable: bool = False
    redirect_url: str | None = None
    webhook_url: str | None = None
    expires_at: str | None = None
    paid_at: datetime | None = None
    payments: list[str] = field(default_factory=list)

    @property
    def href(self) -> str:
        return f"{PAY_HOST}/payment/{self.code}"

    def resource(self, api_url: str) -> dict[str, Any]:
        """The payment link object as Mollie answers it (names as in the reference list)."""
        return {
            "resource": "payment-link",
            "id": self.id,
            "mode": self.mode,
            "description": self.description,
            "amount": {"currency": self.currency, "value": self.value},
            "archived": False,
            "redirectUrl": self.redirect_url,
            "webhookUrl": self.webhook_url,
            "profileId": "pfl_sandbox01",
            "createdAt": self.created_at.isoformat(),
            "paidAt": self.paid_at.isoformat() if self.paid_at else None,
            "expiresAt": self.expires_at,
            "reusable": self.reusable,
            "allowedMethods": None,
            "sequenceType": "oneoff",
            "customerId": None,
            "_links": {
                "self": {
                    "href": f"{api_url}/v2/payment-links/{self.id}",
                    "type": "application/hal+json",
                },
                "paymentLink": {"href": self.href, "type": "text/html"},
                "documentation": {
                    "href": "https://docs.mollie.com/reference/get-payment-link",
                    "type": "text/html",
                },
            },
        }


@dataclass
class WebhookCall:
    url: str
    payment_id: str
    status: int | None


class MollieState:
    """One Mollie account (its API keys), shared by the fake's threads."""

    def __init__(self, now: Callable[[], datetime], api_keys: tuple[str, ...]) -> None:
        self.now = now
        self.api_keys = frozenset(api_keys)
        self.links: dict[str, PaymentLink] = {}
        #: (API key, Idempotency-Key) -> (status, answer) given the first time
        self.idempotent: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        self.webhook_calls: list[WebhookCall] = []
        #: every create call that reached the fake (with its idempotency key), answered or not
        self.create_calls: list[str | None] = []
        #: Mollie is down: every API call answers 503 (tests of what waits for a link)
        self.outage = False
        self.lock = threading.RLock()

    def create(self, api_key: str, body: dict[str, Any]) -> PaymentLink:
        code = secrets.token_urlsafe(15).replace("-", "a").replace("_", "b")
        link = PaymentLink(
            id=f"pl_{code[:10]}",
            code=code,
            description=body["description"],
            currency=body["amount"]["currency"],
            value=body["amount"]["value"],
            created_at=self.now(),
            mode="test" if api_key.startswith("test_") else "live",
            reusable=bool(body.get("reusable", False)),
            redirect_url=body.get("redirectUrl"),
            webhook_url=body.get("webhookUrl"),
            expires_at=body.get("expiresAt"),
        )
        with self.lock:
            self.links[link.id] = link
        return link

    def by_code(self, code: str) -> PaymentLink | None:
        with self.lock:
            return next((x for x in self.links.values() if x.code == code), None)

    def link_of(self, href: str) -> PaymentLink:
        """The link a customer's mail shows (its `_links.paymentLink.href`)."""
        found = self.by_code(href.rstrip("/").rsplit("/", 1)[-1])
        if found is None:
            raise KeyError(href)
        return found

    def pay(self, link: PaymentLink) -> str | None:
        """The customer pays on the link's page: a payment is made and marked paid, the link
        gets `paidAt`. Returns the payment id; None when the link cannot be paid (paid before,
        not reusable)."""
        with self.lock:
            if link.paid_at is not None and not link.reusable:
                return None
            payment = f"tr_{secrets.token_hex(5)}"
            link.payments.append(payment)
            link.paid_at = self.now()
            return payment
