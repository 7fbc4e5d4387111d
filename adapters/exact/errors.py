"""Exact Online failures classified in one table: HTTP status + `Reason` header -> `ErrorKind`.

Sources: docs/exact-online.md(statuses, the ``{"error":{"message":
{"value":…}}}`` envelope, the ``Reason`` header on 403/429, the 10-errors-per-endpoint-per-hour
budget) and §1 (401 with ``WWW-Authenticate: … access token expired``).

How each kind is handled (connector.domain.ports.ErrorKind):
  * 401: refresh the access token once and retry the call once; a second 401 is CONSENT_NEEDED.
  * 403: CONFIG (no access to the division, app scope, blocked user; ``Reason`` says which).
  * 429 while the *minute* is used up: RATE_LIMITED (reads have already waited for the reset in
    connector.http); 429 while the *day* is used up, or with ``Reason: ErrorLimitExceeded``
    (the endpoint is blocked after too many errors): BUDGET_EXHAUSTED: the run stops cleanly and
    the next run resumes from the stored cursor.
  * 5xx, timeouts, connection errors: TRANSIENT.
  * 400/404 and other 4xx: FATAL, never retried: the same request fails the same way, and every
    failure spends one of the ten errors Exact allows per endpoint and hour.
  * a body that is not the JSON envelope: MALFORMED, naming the endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.domain.ports import ErrorKind, LedgerError

#: statuses Exact counts against the error budget of an endpoint (reference §3)
BUDGET_STATUSES = frozenset({400, 401, 403, 404})


@dataclass(frozen=True, slots=True)
class Resolution:
    kind: ErrorKind
    #: refresh the access token once and retry the call once before giving up with `kind`
    refresh_then_retry: bool = False
    not_found: bool = False


def classify(status: int, reason: str = "", daily_exhausted: bool = False) -> Resolution:
    """The one table. `reason` is the ``Reason`` header; `daily_exhausted` is true when the
    answer's ``X-RateLimit-Remaining`` (the day's) is 0."""
    if status == 401:
        return Resolution(ErrorKind.CONSENT_NEEDED, refresh_then_retry=True)
    if status == 429:
        if daily_exhausted or reason.startswith("ErrorLimitExceeded"):
            return Resolution(ErrorKind.BUDGET_EXHAUSTED)
        return Resolution(ErrorKind.RATE_LIMITED)
    if status >= 500:
        return Resolution(ErrorKind.TRANSIENT)
    if status == 403:
        return Resolution(ErrorKind.CONFIG)
    if status == 404:
        return Resolution(ErrorKind.FATAL, not_found=True)
    return Resolution(ErrorKind.FATAL)


class ExactApiError(LedgerError):
    """A classified Exact failure. `sent` is False when Exact definitely did not act on the
    request, None when that is unknown (timeout after sending, 5xx, unreadable answer)."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        endpoint: str = "",
        not_found: bool = False,
        sent: bool | None = False,
        reason: str = "",
    ) -> None:
        super().__init__(kind, message, status=status)
        self.endpoint = endpoint
        self.not_found = not_found
        self.sent = sent
        self.reason = reason


def api_error(
    status: int,
    message: str,
    endpoint: str,
    *,
    method: str = "GET",
    reason: str = "",
    daily_exhausted: bool = False,
) -> ExactApiError:
    res = classify(status, reason, daily_exhausted)
    text = f"Exact {method} {endpoint}: HTTP {status}"
    if reason:
        text += f" ({reason[:80]})"
    if message:
        text += f": {message[:300]}"
    sent: bool | None = None if status >= 500 else False
    return ExactApiError(
        res.kind,
        text,
        status=status,
        endpoint=endpoint,
        not_found=res.not_found,
        sent=sent,
        reason=reason,
    )


def malformed(endpoint: str, what: str, *, status: int | None = None) -> ExactApiError:
    return ExactApiError(
        ErrorKind.MALFORMED,
        f"Exact {endpoint}: malformed answer: {what}",
        status=status,
        endpoint=endpoint,
        sent=None,
    )
