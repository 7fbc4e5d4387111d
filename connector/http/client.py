"""The client itself: `make_http` builds the one kind of `HttpClient` every call goes through."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import IO, Any

import requests
from requests.auth import AuthBase
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_result,
    stop_after_attempt,
)

from connector.domain.clock import Clock
from connector.http.limiter import Limiter
from connector.http.metrics import HttpMetrics
from connector.http.retry import (
    READ_METHODS,
    RETRY_STATUSES,
    StopWhenWaitExceeds,
    WaitHint,
    WaitServerHintOrBackoff,
    retry_after_seconds,
)
from connector.http.urls import safe_url

#: the largest response body read (after decompression); ledger pages are far smaller
MAX_BODY_BYTES = 32 * 1024 * 1024
_CHUNK = 64 * 1024

log = logging.getLogger("connector.http")


class ResponseTooLarge(requests.ConnectionError):
    """The answer was bigger than the cap; it was not read (the adapters see a failed read)."""


def _is_transient_exception(exc: BaseException) -> bool:
    if isinstance(exc, ResponseTooLarge):
        return False  # the same answer again would be as big
    return isinstance(exc, requests.Timeout | requests.ConnectionError)


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
        sink: IO[bytes] | None = None,
    ) -> requests.Response:
        """Send one request (reads: with retries). Raises requests' Timeout/ConnectionError when
        the last attempt failed that way; returns the response for every HTTP status.

        `auth` signs the prepared request, e.g. authlib's client authentication, which adds
        ``client_id``/``client_secret`` to a token request's form (connector.auth.oauth).

        `sink`: a successful answer's body (status below 400) is written to this file, from its
        start, instead of into `response.content` (then empty), for answers that grow with the
        ledger (a list of every record's id); the `max_body` cap still applies. Error answers
        stay in `response.content`."""
        method = method.upper()
        retried = method in READ_METHODS if retry is None else retry

        def attempt() -> requests.Response:
            return self._send_once(method, url, params, json, data, headers, auth, sink)

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
            wait=WaitServerHintOrBackoff(
                self.clock, self.wait_hint, self._backoff_initial, self._backoff_cap
            ),
            stop=stop_after_attempt(self.max_read_attempts) | StopWhenWaitExceeds(self.max_wait),
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
        sink: IO[bytes] | None = None,
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
            self._read_capped(response, method, url, sink)
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

    def _read_capped(
        self,
        response: requests.Response,
        method: str,
        url: str,
        sink: IO[bytes] | None = None,
    ) -> None:
        """Read the streamed body into `response.content` (or, for a successful answer, into
        `sink`), refusing more than `max_body`."""

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
        target = sink if sink is not None and response.status_code < 400 else None
        if sink is not None:
            sink.seek(0)  # an earlier attempt may have written part of its answer
            sink.truncate()
        for chunk in response.iter_content(_CHUNK):
            total += len(chunk)
            if total > self.max_body:
                raise too_large(f"over {total} read")
            if target is not None:
                target.write(chunk)
            else:
                chunks.append(chunk)
        if target is not None:
            target.flush()
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
