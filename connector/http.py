"""The one HTTP client factory: timeouts, a rate limiter, retries on reads only, redaction, metrics.

Every outgoing call of the connector goes through `make_http(...).request(...)`:

* the `RateLimiter` is passed first (a sliding window per platform organisation, waiting with
  `clock.sleep` so tests and `--now` never sleep for real);
* the request gets a (connect, read) timeout, always;
* reads (GET/HEAD, or `retry=True`) are retried with tenacity on 429, 500, 502, 503, 504,
  timeouts and connection errors, waiting what the server asks (`Retry-After` in seconds or as an
  HTTP-date, or the platform's own hint such as Zoho's `X-Rate-Limit-Reset`), else exponential
  back-off with jitter. When the server asks for more than `max_wait` seconds the last response is
  returned as is, so the adapter can classify it (e.g. a daily quota: budget exhausted);
* writes (POST/PUT/PATCH/DELETE) are never retried here: a write that may have reached the server
  is settled by the outbox and `Ledger.reconcile`, never by resending it blindly;
* a response body is read as a stream and capped (`max_body`, default 32 MB, counted after
  decompression): a bigger answer raises `ResponseTooLarge` (never retried) instead of filling
  the memory;
* log lines (logger ``connector.http``) show method, path and status; query values that can carry a
  secret are masked, and the line also goes through `connector.redact.redact`.

Pattern from dlt's `wait_exponential_retry_after` and the Singer SDK's retriable/fatal split
(see https://requests.readthedocs.io and https://tenacity.readthedocs.io).
"""

from __future__ import annotations

import logging
import re
import threading
import weakref
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from requests.auth import AuthBase
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.stop import stop_base

from connector.clock import Clock

# re-exported: adapters and connector.auth import them from here
from connector.redact import redact as redact
from connector.redact import register_secret as register_secret

log = logging.getLogger("connector.http")

#: statuses a read is retried on
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: methods retried by default (everything else only with `retry=True`)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: query/form keys whose values are masked in log lines
SECRET_KEYS = frozenset(
    {
        "client_secret",
        "refresh_token",
        "access_token",
        "code",
        "token",
        "password",
        "authtoken",
        "id_token",
        "assertion",
    }
)
_MASK = "***"

WaitHint = Callable[[requests.Response], "float | None"]

#: the largest response body read (after decompression); ledger pages are far smaller
MAX_BODY_BYTES = 32 * 1024 * 1024
_CHUNK = 64 * 1024


class ResponseTooLarge(requests.ConnectionError):
    """The answer was bigger than the cap; it was not read (the adapters see a failed read)."""


def mask_query(url: str) -> str:
    """The URL with secret-looking query values replaced by ``***`` (dlt's `sanitize_url`)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = [
        (k, _MASK if k.lower() in SECRET_KEYS else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(pairs, safe="*:,")))


def safe_url(url: str) -> str:
    """Path and masked query of `url` (no scheme/host), for log lines and messages."""
    masked = urlsplit(mask_query(url))
    return redact(masked.path + (f"?{masked.query}" if masked.query else ""))


# -- rate limiting ------------------------------------------------------------------------------
class Limiter(Protocol):
    """Paces calls to one platform organisation: `RateLimiter` in one process, or a limiter in
    the database shared by every worker (`connector.worker.budget.DbRateLimiter`)."""

    def acquire(self) -> float: ...

    def note_reset(self, epoch_seconds: float) -> None: ...


#: (key, calls per minute, clock) -> the limiter for that key, e.g. ("zoho:20071234", 90, clock)
LimiterFactory = Callable[[str, int, "Clock"], Limiter]

#: process-wide limiters per clock, then per key: a test or simulation with its own clock gets
#: its own limiters, and they go away with the clock
_local: weakref.WeakKeyDictionary[Clock, dict[str, RateLimiter]] = weakref.WeakKeyDictionary()
_local_lock = threading.Lock()


def local_limiter(key: str, per_minute: int, clock: Clock) -> RateLimiter:
    """The default `LimiterFactory`: one in-memory sliding window per key in this process."""
    with _local_lock:
        per_key = _local.setdefault(clock, {})
        limiter = per_key.get(key)
        if limiter is None:
            limiter = per_key[key] = RateLimiter(per_minute, clock)
        return limiter


class RateLimiter:
    """A sliding-window limiter: at most `per_minute` calls in any 60 s, waiting with the clock.

    Thread-safe; one instance is shared by every client of the same platform organisation in a
    process (the platform's quota is per organisation, not per client object). `note_reset` lets
    a server's reset header block further calls until that moment.
    """

    def __init__(self, per_minute: int, clock: Clock, *, window: float = 60.0) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.per_minute = per_minute
        self.window = window
        self._clock = clock
        self._calls: deque[float] = deque()
        self._blocked_until = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait (via `clock.sleep`) until a call is allowed, record it; returns seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock.now().timestamp()
                while self._calls and self._calls[0] <= now - self.window:
                    self._calls.popleft()
                wait = 0.0
                if self._blocked_until > now:
                    wait = self._blocked_until - now
                elif len(self._calls) >= self.per_minute:
                    wait = self._calls[0] + self.window - now
                if wait <= 0:
                    self._calls.append(now)
                    return waited
            self._clock.sleep(wait)
            waited += wait

    def note_reset(self, epoch_seconds: float) -> None:
        """The server said no calls until `epoch_seconds` (UNIX time): block until then."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, epoch_seconds)


# -- metrics ------------------------------------------------------------------------------------
_ID_SEGMENT = re.compile(r"^(?:\d+|[0-9a-fA-F-]{16,}|\{.*\})$")


def path_template(url: str) -> str:
    """``/books/v3/invoices/460000000012345/comments`` -> ``/books/v3/invoices/{id}/comments``."""
    path = urlsplit(url).path
    return "/".join("{id}" if _ID_SEGMENT.match(seg) else seg for seg in path.split("/"))


@dataclass
class HttpMetrics:
    """Counters per (host, method, path template): calls, retries, 429 answers, errors."""

    calls: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    retries: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    throttled: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    errors: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    waited_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @staticmethod
    def key(method: str, url: str) -> tuple[str, str, str]:
        return (urlsplit(url).netloc, method.upper(), path_template(url))

    def count(self, counter: str, method: str, url: str) -> None:
        with self._lock:
            getattr(self, counter)[self.key(method, url)] += 1

    def add_wait(self, seconds: float) -> None:
        with self._lock:
            self.waited_seconds += seconds

    def total(self, counter: str) -> int:
        return sum(getattr(self, counter).values())


# -- waits --------------------------------------------------------------------------------------
def retry_after_seconds(response: requests.Response, now: datetime) -> float | None:
    """`Retry-After` as seconds from `now`: an integer/float, or an HTTP-date (as urllib3 does)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class _WaitServerHintOrBackoff:
    """tenacity wait: the server's hint when the last answer carries one, else exp. jitter."""

    def __init__(
        self, clock: Clock, wait_hint: WaitHint | None, initial: float, cap: float
    ) -> None:
        self._clock = clock
        self._wait_hint = wait_hint
        self._fallback = wait_exponential_jitter(initial=initial, max=cap, jitter=initial)

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        if outcome is not None and not outcome.failed:
            response = outcome.result()
            if isinstance(response, requests.Response):
                hint = retry_after_seconds(response, self._clock.now())
                if hint is None and response.status_code == 429 and self._wait_hint is not None:
                    hint = self._wait_hint(response)
                if hint is not None:
                    return max(0.0, float(hint))
        return float(self._fallback(retry_state))


class _StopWhenWaitExceeds(stop_base):
    """Give up when the next wait would push the total waiting past `max_wait` seconds."""

    def __init__(self, max_wait: float) -> None:
        self._max_wait = max_wait

    def __call__(self, retry_state: RetryCallState) -> bool:
        return retry_state.idle_for + (retry_state.upcoming_sleep or 0.0) > self._max_wait


def _is_transient_exception(exc: BaseException) -> bool:
    if isinstance(exc, ResponseTooLarge):
        return False  # the same answer again would be as big
    return isinstance(exc, requests.Timeout | requests.ConnectionError)


# -- the client ---------------------------------------------------------------------------------
class HttpClient:
    """A requests session with the house rules; build it with `make_http`."""

    def __init__(
        self,
        *,
        clock: Clock,
        name: str,
        timeout: tuple[float, float],
        limiter: Limiter | None,
        max_read_attempts: int,
        max_wait: float,
        wait_hint: WaitHint | None,
        metrics: HttpMetrics | None,
        session: requests.Session | None = None,
        backoff_initial: float = 1.0,
        backoff_cap: float = 30.0,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.clock = clock
        self.max_body = max_body
        self.name = name
        self.timeout = timeout
        self.limiter = limiter
        self.max_read_attempts = max(1, max_read_attempts)
        self.max_wait = max_wait
        self.wait_hint = wait_hint
        self.metrics = metrics if metrics is not None else HttpMetrics()
        self.session = session if session is not None else requests.Session()
        self.session.headers["User-Agent"] = f"dunning-connector ({name})"
        self._backoff_initial = backoff_initial
        self._backoff_cap = backoff_cap

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | str | bytes | None = None,
        headers: Mapping[str, str] | None = None,
        retry: bool | None = None,
        auth: AuthBase | None = None,
    ) -> requests.Response:
        """Send one request (reads: with retries). Raises requests' Timeout/ConnectionError when
        the last attempt failed that way; returns the response for every HTTP status.

        `auth` signs the prepared request, e.g. authlib's client authentication, which adds
        ``client_id``/``client_secret`` to a token request's form (connector.auth.oauth)."""
        method = method.upper()
        retried = method in READ_METHODS if retry is None else retry

        def attempt() -> requests.Response:
            return self._send_once(method, url, params, json, data, headers, auth)

        if not retried:
            return attempt()

        def before_sleep(rs: RetryCallState) -> None:
            self.metrics.count("retries", method, url)
            self.metrics.add_wait(rs.upcoming_sleep)
            outcome = rs.outcome
            why = (
                type(outcome.exception()).__name__
                if outcome is not None and outcome.failed
                else f"HTTP {outcome.result().status_code}"
                if outcome is not None
                else "?"
            )
            log.warning(
                "%s %s %s: %s, retry %d in %.1f s",
                self.name,
                method,
                safe_url(url),
                why,
                rs.attempt_number,
                rs.upcoming_sleep,
            )

        retrying = Retrying(
            retry=(
                retry_if_exception(_is_transient_exception)
                | retry_if_result(
                    lambda r: isinstance(r, requests.Response) and r.status_code in RETRY_STATUSES
                )
            ),
            wait=_WaitServerHintOrBackoff(
                self.clock, self.wait_hint, self._backoff_initial, self._backoff_cap
            ),
            stop=stop_after_attempt(self.max_read_attempts) | _StopWhenWaitExceeds(self.max_wait),
            sleep=self.clock.sleep,
            before_sleep=before_sleep,
            # out of attempts: hand back the last response (or raise the last exception)
            retry_error_callback=lambda rs: rs.outcome.result() if rs.outcome else None,
            reraise=True,
        )
        response: requests.Response = retrying(attempt)
        return response

    def _send_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
        json: Any,
        data: Mapping[str, Any] | str | bytes | None,
        headers: Mapping[str, str] | None,
        auth: AuthBase | None = None,
    ) -> requests.Response:
        if self.limiter is not None:
            waited = self.limiter.acquire()
            if waited:
                self.metrics.add_wait(waited)
        self.metrics.count("calls", method, url)
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers=dict(headers) if headers else None,
                auth=auth,
                timeout=self.timeout,
                allow_redirects=method in READ_METHODS,
                stream=True,
            )
            self._read_capped(response, method, url)
        except requests.RequestException as exc:
            self.metrics.count("errors", method, url)
            log.warning("%s %s %s failed: %s", self.name, method, safe_url(url), type(exc).__name__)
            raise
        shown = safe_url(response.url or url)
        if response.status_code == 429:
            self.metrics.count("throttled", method, url)
            self._note_reset(response)
        level = logging.DEBUG if response.status_code < 400 else logging.WARNING
        log.log(level, "%s %s %s -> %d", self.name, method, shown, response.status_code)
        return response

    def _read_capped(self, response: requests.Response, method: str, url: str) -> None:
        """Read the streamed body into `response.content`, refusing more than `max_body`."""

        def too_large(size: str) -> ResponseTooLarge:
            response.close()
            message = (
                f"{self.name} {method} {safe_url(url)}: the answer is larger than "
                f"{self.max_body} bytes ({size}); not read"
            )
            log.warning("%s", message)
            return ResponseTooLarge(message)

        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            raise too_large(f"{declared} announced")
        chunks: list[bytes] = []
        total = 0
        for chunk in response.iter_content(_CHUNK):
            total += len(chunk)
            if total > self.max_body:
                raise too_large(f"over {total} read")
            chunks.append(chunk)
        response._content = b"".join(chunks)  # what `response.content` returns from now on
        response._content_consumed = True  # type: ignore[attr-defined]

    def _note_reset(self, response: requests.Response) -> None:
        if self.limiter is None:
            return
        hint = retry_after_seconds(response, self.clock.now())
        if hint is None and self.wait_hint is not None:
            hint = self.wait_hint(response)
        if hint is not None and hint <= self.max_wait:
            self.limiter.note_reset(self.clock.now().timestamp() + hint)


def make_http(
    *,
    clock: Clock,
    name: str,
    timeout: tuple[float, float] = (5.0, 30.0),
    limiter: Limiter | None = None,
    max_read_attempts: int = 5,
    max_wait: float = 120.0,
    wait_hint: WaitHint | None = None,
    metrics: HttpMetrics | None = None,
    max_body: int = MAX_BODY_BYTES,
) -> HttpClient:
    """The one way to build an HTTP client (see the module docstring for the rules).

    Args:
        clock: waits go through `clock.sleep` (tests pass a `ManualClock`).
        name: a label for log lines, e.g. ``"zoho"`` or ``"zoho-accounts"``.
        timeout: (connect, read) seconds for every request.
        limiter: shared per platform organisation; None for no client-side limit.
        max_read_attempts: attempts for a read, the first included.
        max_wait: the most a read waits in total for retries; a longer server hint returns the
            last response instead (e.g. a daily quota).
        wait_hint: the platform's own "wait this many seconds" on a 429 when there is no
            `Retry-After`, e.g. Zoho's ``X-Rate-Limit-Reset``.
        metrics: counters to add to; a fresh `HttpMetrics` when None.
        max_body: the largest response body read, in bytes (`ResponseTooLarge` beyond it).
    """
    return HttpClient(
        clock=clock,
        name=name,
        timeout=timeout,
        limiter=limiter,
        max_read_attempts=max_read_attempts,
        max_wait=max_wait,
        wait_hint=wait_hint,
        metrics=metrics,
        max_body=max_body,
    )


#: the name design.md uses
make_session = make_http
