"""Mollie's Payment Links API (``POST /v2/payment-links``, ``GET /v2/payment-links/{id}``).

A payment link is how a customer of a platform without its own pay link (Exact Online) pays a
reminder on the spot. Only the names in `reference/mollie-payment-links.json` go out or are
read (tests/adapters/mollie/test_mollie_contract.py); every call is made by the one HTTP client
(`connector.http.make_http`). The create call carries an ``Idempotency-Key``: Mollie answers a
repeated key with the link it made the first time, so the create is retried like a read, and a
run that died between Mollie's answer and storing it gets the same link when it asks again.

The API key is a bearer token: it goes in the header only, never in a log line or an error
(the HTTP client masks URLs; errors here name the status and Mollie's ``detail``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import requests

from connector.domain.clock import Clock
from connector.domain.money import Money
from connector.http import HttpClient, make_http

#: Mollie's production API; `payments.api_url` may point at a sandbox on this machine
API_URL = "https://api.mollie.com"

#: the operations the client uses, as the reference list names them
CREATE = "POST /v2/payment-links"
GET = "GET /v2/payment-links/{paymentLinkId}"
#: what the client reads of a payment link object (dotted paths, as the reference lists them)
READ = ("id", "amount.currency", "amount.value", "_links.paymentLink.href", "paidAt")


class PaymentProviderError(Exception):
    """A call to the payment provider failed.

    `definite`: the provider answered that it did not do it (a 4xx other than 429), so
    asking again with the same input will not help; otherwise (a timeout, 429, 5xx) it may be
    asked again later (with the same idempotency key)."""

    def __init__(self, message: str, *, definite: bool = False) -> None:
        super().__init__(message)
        self.definite = definite


@dataclass(frozen=True, slots=True)
class MollieLink:
    """A payment link as Mollie has it: its id (``pl_...``), where the customer pays, the
    amount and when it was paid (None: not yet)."""

    id: str
    url: str
    amount: Money
    paid_at: datetime | None = None

    @property
    def paid(self) -> bool:
        return self.paid_at is not None


def amount_field(money: Money) -> dict[str, str]:
    """Mollie's amount object: the currency and the value as a string with two decimals
    ("10.00"), as Mollie requires for euro amounts."""
    return {"currency": money.currency, "value": f"{money.amount.quantize(Decimal('0.01'))}"}


class MollieClient:
    """One client's Mollie account (its API key)."""

    def __init__(
        self,
        api_key: str,
        clock: Clock,
        *,
        api_url: str | None = None,
        http: HttpClient | None = None,
    ) -> None:
        self._key = api_key
        self.api_url = (api_url or API_URL).rstrip("/")
        self.http = http or make_http(clock=clock, name="mollie", max_read_attempts=3)

    def create_payment_link(
        self,
        *,
        description: str,
        amount: Money,
        idempotency_key: str,
        webhook_url: str | None = None,
        redirect_url: str | None = None,
    ) -> MollieLink:
        """A new payment link for `amount` (one payment, not reusable). Asked again with the
        same `idempotency_key` Mollie gives the link it already made."""
        body: dict[str, Any] = {
            "description": description[:255],
            "amount": amount_field(amount),
            "reusable": False,
        }
        if webhook_url:
            body["webhookUrl"] = webhook_url
        if redirect_url:
            body["redirectUrl"] = redirect_url
        answer = self._call(
            "POST",
            "/v2/payment-links",
            json_body=body,
            headers={"Idempotency-Key": idempotency_key},
        )
        return _link(answer)

    def get_payment_link(self, link_id: str) -> MollieLink:
        """The link as Mollie has it now (whether it was paid: `paidAt`)."""
        if not link_id.startswith("pl_") or not link_id[3:].isalnum():
            raise PaymentProviderError(f"not a Mollie payment link id: {link_id!r}", definite=True)
        return _link(self._call("GET", f"/v2/payment-links/{link_id}"))

    def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        sent = {"Authorization": f"Bearer {self._key}", "Accept": "application/hal+json"}
        sent.update(headers or {})
        try:
            response = self.http.request(
                method,
                self.api_url + path,
                json=json_body,
                headers=sent,
                # the create carries an idempotency key: asking again cannot make a second link
                retry=True,
            )
        except requests.RequestException as exc:
            raise PaymentProviderError(f"Mollie {method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            definite = response.status_code < 500 and response.status_code != 429
            raise PaymentProviderError(
                f"Mollie {method} {path}: HTTP {response.status_code}: {_detail(response)}",
                definite=definite,
            )
        try:
            answer = response.json()
        except ValueError as exc:
            raise PaymentProviderError(f"Mollie {method} {path}: not JSON") from exc
        if not isinstance(answer, dict):
            raise PaymentProviderError(f"Mollie {method} {path}: not a JSON object")
        return answer


def _detail(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return "no detail"
    if not isinstance(body, dict):
        return "no detail"
    detail = str(body.get("detail") or body.get("title") or "no detail")[:300]
    field = body.get("field")
    return f"{detail} ({field})" if field else detail


def _link(answer: dict[str, Any]) -> MollieLink:
    try:
        amount = answer["amount"]
        href = answer["_links"]["paymentLink"]["href"]
        paid = answer.get("paidAt")
        return MollieLink(
            id=str(answer["id"]),
            url=str(href),
            amount=Money.of(str(amount["value"]), str(amount["currency"])),
            paid_at=datetime.fromisoformat(paid) if isinstance(paid, str) else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        shown = json.dumps(sorted(answer))[:200]
        raise PaymentProviderError(f"Mollie answered an unexpected payment link: {shown}") from exc
