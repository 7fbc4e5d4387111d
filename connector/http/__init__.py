"""The one HTTP client factory: timeouts, a rate limiter, retries on reads only, redaction, metrics.

The package: `client` (`make_http`, `HttpClient`), `limiter`, `retry` (waits), `metrics`,
`urls` (masking for log lines).

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
  secret are masked, and the line also goes through `connector.logs.redact.redact`.

Pattern from dlt's `wait_exponential_retry_after` and the Singer SDK's retriable/fatal split
(see https://requests.readthedocs.io and https://tenacity.readthedocs.io).
"""

from __future__ import annotations

from connector.http.client import (
    MAX_BODY_BYTES,
    HttpClient,
    ResponseTooLarge,
    make_http,
    make_session,
)
from connector.http.limiter import Limiter, LimiterFactory, RateLimiter, local_limiter
from connector.http.metrics import HttpMetrics, path_template
from connector.http.retry import READ_METHODS, RETRY_STATUSES, WaitHint, retry_after_seconds
from connector.http.urls import SECRET_KEYS, mask_query, safe_url

__all__ = [
    "MAX_BODY_BYTES",
    "READ_METHODS",
    "RETRY_STATUSES",
    "SECRET_KEYS",
    "HttpClient",
    "HttpMetrics",
    "Limiter",
    "LimiterFactory",
    "RateLimiter",
    "ResponseTooLarge",
    "WaitHint",
    "local_limiter",
    "make_http",
    "make_session",
    "mask_query",
    "path_template",
    "retry_after_seconds",
    "safe_url",
]
