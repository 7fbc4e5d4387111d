"""Moneybird failures classified in one table: HTTP status -> `ErrorKind`.

Statuses from Moneybird's API description (https://developer.moneybird.com/api/sales-invoices:
400 bad request, 402 payment required, 404 not found, 422 unprocessable entity) and the rate
limit (429 with ``Retry-After``, 150 requests per 5 minutes per user).

How each kind is handled (connector.domain.ports.ErrorKind):
  * 401: refresh the access token once and retry the call once; a second 401 is CONSENT_NEEDED.
  * 402, 403: CONFIG (the administration's plan or the app's scopes do not allow it).
  * 429: RATE_LIMITED (reads have already waited what ``Retry-After`` asked, in connector.http).
  * 5xx, timeouts, connection errors: TRANSIENT.
  * 400, 404, 422 and other 4xx: FATAL, never retried: the same request fails the same way.
  * a body that is not the JSON expected: MALFORMED, naming the endpoint.
"""

from __future__ import annotations

from typing import Any

from connector.domain.ports import ErrorKind, LedgerError


class MoneybirdApiError(LedgerError):
    """A classified Moneybird failure. `sent` is False when Moneybird definitely did not act on
    the request, None when that is unknown (timeout after sending, 5xx, unreadable answer)."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        endpoint: str = "",
        not_found: bool = False,
        sent: bool | None = False,
    ) -> None:
        super().__init__(kind, message, status=status)
        self.endpoint = endpoint
        self.not_found = not_found
        self.sent = sent


def classify(status: int) -> ErrorKind:
    """The one table (401 after the one refresh-and-retry)."""
    if status == 401:
        return ErrorKind.CONSENT_NEEDED
    if status == 429:
        return ErrorKind.RATE_LIMITED
    if status >= 500:
        return ErrorKind.TRANSIENT
    if status in (402, 403):
        return ErrorKind.CONFIG
    return ErrorKind.FATAL


def error_message(body: Any) -> str:
    """The ``error`` of Moneybird's error answer (a text or an object of messages), or ""."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, str):
            return error
        if isinstance(error, dict):
            return "; ".join(f"{k}: {v}" for k, v in error.items())
    return ""


def api_error(status: int, message: str, endpoint: str) -> MoneybirdApiError:
    """`endpoint` is the endpoint's key (``POST sales_invoices/synchronization``)."""
    text = f"Moneybird {endpoint}: HTTP {status}"
    if message:
        text += f": {message[:300]}"
    return MoneybirdApiError(
        classify(status),
        text,
        status=status,
        endpoint=endpoint,
        not_found=status == 404,
        sent=None if status >= 500 else False,
    )


def malformed(endpoint: str, what: str, *, status: int | None = None) -> MoneybirdApiError:
    return MoneybirdApiError(
        ErrorKind.MALFORMED,
        f"Moneybird {endpoint}: malformed answer: {what}",
        status=status,
        endpoint=endpoint,
        sent=None,
    )
