"""Zoho Books failures classified in one table: HTTP status + Zoho body ``code`` -> `ErrorKind`.

Official pages: https://www.zoho.com/books/api/v3/errors/ (statuses, the ``code``/``message``
envelope), https://www.zoho.com/books/api/v3/introduction/ (100 requests/minute per organisation,
daily quota per plan). Codes 14, 57, 43, 44, 45 and 1070 come from integrators, not from Zoho's
pages (see docs/zoho-books.md); an unknown code falls back on the status.

How each kind is handled (connector.domain.ports.ErrorKind):
  * 401 or code 14/57: the client refreshes the token once and retries the call once; a second
    refusal is CONSENT_NEEDED (401/14: the grant is gone) or CONFIG (57: not authorised for the
    operation, e.g. a missing scope or a user without access to the organisation).
  * 429: RATE_LIMITED (per-minute/concurrency, codes 43/44/1070 or none), BUDGET_EXHAUSTED for
    the daily quota (code 45). Reads have already waited and retried in connector.http.
  * 5xx, timeouts, connection errors: TRANSIENT (after the read retries).
  * 404 or code 1002: not found (`ZohoApiError.not_found`); callers that expect it map it to None.
  * a body that is not JSON, or lacks the expected key: MALFORMED, naming the endpoint.
  * any other 4xx / non-zero code: FATAL (a definite refusal; for a write: not sent).
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.domain.ports import ErrorKind, LedgerError

AUTH_CODES = frozenset({14, 57})
THROTTLE_CODES = frozenset({43, 44, 1070})
DAILY_QUOTA_CODES = frozenset({45})
NOT_FOUND_CODES = frozenset({1002})


@dataclass(frozen=True, slots=True)
class Resolution:
    """What to do with a failed answer."""

    kind: ErrorKind
    #: refresh the access token once and retry the call once before giving up with `kind`
    refresh_then_retry: bool = False
    not_found: bool = False


def classify(status: int, code: int | None) -> Resolution:
    """The one table. `code` is the Zoho body code when the body had one."""
    if status == 401 or code in AUTH_CODES:
        kind = ErrorKind.CONFIG if code == 57 else ErrorKind.CONSENT_NEEDED
        return Resolution(kind, refresh_then_retry=True)
    if code in DAILY_QUOTA_CODES:
        return Resolution(ErrorKind.BUDGET_EXHAUSTED)
    if status == 429 or code in THROTTLE_CODES:
        return Resolution(ErrorKind.RATE_LIMITED)
    if status >= 500:
        return Resolution(ErrorKind.TRANSIENT)
    if status == 404 or code in NOT_FOUND_CODES:
        return Resolution(ErrorKind.FATAL, not_found=True)
    if status == 403:
        return Resolution(ErrorKind.CONFIG)
    return Resolution(ErrorKind.FATAL)


class ZohoApiError(LedgerError):
    """A classified Zoho failure. `sent` is False when the request definitely did not reach
    Zoho (or was refused before acting), None when that is unknown."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        endpoint: str = "",
        not_found: bool = False,
        sent: bool | None = False,
    ) -> None:
        super().__init__(kind, message, status=status)
        self.code = code
        self.endpoint = endpoint
        self.not_found = not_found
        self.sent = sent


def api_error(
    status: int, code: int | None, message: str, endpoint: str, *, method: str = "GET"
) -> ZohoApiError:
    """Build the classified error for an HTTP/envelope failure of `method endpoint`."""
    res = classify(status, code)
    text = f"Zoho {method} {endpoint}: HTTP {status}"
    if code is not None:
        text += f", code {code}"
    if message:
        text += f": {message[:300]}"
    # a 5xx answer to a write may have been acted on; a 4xx/429 answer was a refusal
    sent: bool | None = None if status >= 500 else False
    return ZohoApiError(
        res.kind,
        text,
        status=status,
        code=code,
        endpoint=endpoint,
        not_found=res.not_found,
        sent=sent,
    )


def malformed(endpoint: str, what: str, *, status: int | None = None) -> ZohoApiError:
    return ZohoApiError(
        ErrorKind.MALFORMED,
        f"Zoho {endpoint}: malformed answer: {what}",
        status=status,
        endpoint=endpoint,
        sent=None,
    )
