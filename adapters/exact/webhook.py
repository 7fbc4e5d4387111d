"""Optional Exact Online webhooks: verify ``HashCode`` and trigger an early sync of the client.

Exact posts ``{"Content": {"Topic": …, "Division": …, "Key": …, …}, "HashCode": "3ACB…"}``
where HashCode is the upper-case hex HMAC-SHA256 of the *raw* ``Content`` JSON text keyed with
the app's webhook secret (reference §7). The payload only names a key, so a verified event just
asks for an early sync (`trigger(slug, content)`); polling stays the source of truth, and a lost
or forged event changes nothing.

`handle` answers ``POST /exact/webhook/<client>`` (on `dunning serve`'s webhook listener,
`exact.webhook_listen`, and as the WSGI app `make_webhook_app`). It is built for a port open to
the internet: an empty body (Exact's validation call on subscribe) answers 200 whatever the
client; an unknown client, a client without ``exact.webhook_secret``, a malformed body and a bad
HashCode all answer the same 401 (no answer tells an outsider which client names exist); the
body is read in one bounded pass (each top-level value decoded once where it stands, by the C
decoder; nesting deeper than `MAX_DEPTH` refused, the decoder's own RecursionError caught)
before the HMAC check; an event already seen (same HashCode) within a day
is acknowledged and ignored (`ReplayGuard`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from json.decoder import scanstring  # type: ignore[attr-defined]
from typing import Any, Protocol
from urllib.parse import urlsplit

from adapters.exact.endpoints import Endpoint, PostSpec

log = logging.getLogger("adapters.exact.webhook")

Trigger = Callable[[str, dict[str, Any]], None]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
MAX_BODY = 64 * 1024
#: Exact's Content is an object of scalars; anything nested deeper than this is not from Exact
MAX_DEPTH = 8
REPLAY_WINDOW = timedelta(days=1)
_WS = " \t\r\n"


class WebhookRejected(ValueError):
    pass


def _depth_within(value: Any, limit: int) -> bool:
    """`value` nests at most `limit` containers deep (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        children = item.values() if isinstance(item, dict) else item
        stack.extend([(c, depth + 1) for c in children if isinstance(c, dict | list)])
    return True


def _skip(body: str, at: int) -> int:
    while at < len(body) and body[at] in _WS:
        at += 1
    return at


def split_top_level(body: str) -> dict[str, tuple[Any, str]]:
    """The top-level members of a JSON object as key -> (value, raw text of the value), in one
    pass: each value is decoded exactly once, where it stands. A duplicate key, trailing text or
    anything but an object is rejected."""
    decoder = json.JSONDecoder()
    at = _skip(body, 0)
    if at >= len(body) or body[at] != "{":
        raise WebhookRejected("not a JSON object")
    members: dict[str, tuple[Any, str]] = {}
    at = _skip(body, at + 1)
    if at < len(body) and body[at] == "}":
        at += 1
    else:
        while True:
            if at >= len(body) or body[at] != '"':
                raise WebhookRejected("not JSON")
            try:
                key, at = scanstring(body, at + 1)
            except ValueError:
                raise WebhookRejected("not JSON") from None
            at = _skip(body, at)
            if at >= len(body) or body[at] != ":":
                raise WebhookRejected("not JSON")
            start = _skip(body, at + 1)
            try:
                value, end = decoder.raw_decode(body, start)  # C scanner: linear
            except RecursionError:
                raise WebhookRejected("nested too deeply") from None
            except ValueError:
                raise WebhookRejected("not JSON") from None
            if not _depth_within(value, MAX_DEPTH):
                raise WebhookRejected("nested too deeply")
            if key in members:
                raise WebhookRejected(f"{key} given twice")
            members[key] = (value, body[start:end])
            at = _skip(body, end)
            if at < len(body) and body[at] == ",":
                at = _skip(body, at + 1)
                continue
            if at < len(body) and body[at] == "}":
                at += 1
                break
            raise WebhookRejected("not JSON")
    if _skip(body, at) != len(body):
        raise WebhookRejected("text after the JSON object")
    return members


def raw_content(body: str) -> str:
    """The exact text of the top-level ``Content`` value (whitespace and key order kept)."""
    member = split_top_level(body).get("Content")
    if member is None:
        raise WebhookRejected("no Content")
    return member[1]


def hash_code(content: str, secret: str) -> str:
    return hmac.new(secret.encode(), content.encode(), hashlib.sha256).hexdigest().upper()


def verify(body: bytes, secret: str) -> dict[str, Any]:
    """The verified ``Content`` object, or WebhookRejected."""
    return verified_event(body, secret)[0]


def verified_event(body: bytes, secret: str) -> tuple[dict[str, Any], str]:
    """The verified ``Content`` object and its HashCode, or WebhookRejected."""
    if len(body) > MAX_BODY:
        raise WebhookRejected("too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRejected("not UTF-8") from None
    members = split_top_level(text)
    given = members.get("HashCode", (None, ""))[0]
    if not isinstance(given, str):
        raise WebhookRejected("no HashCode")
    if "Content" not in members:
        raise WebhookRejected("no Content")
    content, raw = members["Content"]
    if not hmac.compare_digest(hash_code(raw, secret), given.strip().upper()):
        raise WebhookRejected("HashCode does not match")
    if not isinstance(content, dict):
        raise WebhookRejected("Content is not an object")
    return content, given.strip().upper()


class ReplayGuard:
    """HashCodes seen per client in the last `window` (on the connector's clock), at most
    `limit` per client (the oldest forgotten first): a replayed event is acknowledged, not
    acted on again."""

    def __init__(
        self,
        now: Callable[[], datetime],
        window: timedelta = REPLAY_WINDOW,
        limit: int = 10_000,
    ) -> None:
        self._now = now
        self._window = window
        self._limit = limit
        self._seen: dict[str, OrderedDict[str, datetime]] = {}
        self._lock = threading.Lock()

    def first_time(self, slug: str, code: str) -> bool:
        """True the first time `code` is seen for `slug` within the window (and remembers it)."""
        now = self._now()
        with self._lock:
            seen = self._seen.setdefault(slug, OrderedDict())
            while seen and next(iter(seen.values())) <= now - self._window:
                seen.popitem(last=False)
            if code in seen:
                return False
            seen[code] = now
            while len(seen) > self._limit:
                seen.popitem(last=False)
            return True


PREFIX = "/exact/webhook/"


class _RejectionLog:
    """One warning per minute at most, with the count since the last: a flood of forged
    requests must not become a flood of log lines."""

    def __init__(self, every: float = 60.0) -> None:
        self._every = every
        self._lock = threading.Lock()
        self._last = -every
        self._since = 0

    def note(self, slug: str, reason: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._since += 1
            if now - self._last < self._every:
                log.debug("exact webhook for %s rejected: %s", slug or "?", reason)
                return
            count, self._since, self._last = self._since, 0, now
        log.warning(
            "exact webhook rejected (%d since the last warning); latest: %s: %s",
            count,
            slug or "an unknown client",
            reason,
        )


_rejections = _RejectionLog()


def handle(
    path: str,
    body: bytes,
    secrets: Mapping[str, str],
    trigger: Trigger,
    replay: ReplayGuard | None = None,
) -> tuple[int, str]:
    """One ``POST /exact/webhook/<client>``: (HTTP status, text). `secrets` maps client slug to
    webhook secret; a verified event seen for the first time calls `trigger(slug, content)`."""
    if not path.startswith(PREFIX):
        return 404, "not found"
    if len(body) > MAX_BODY:
        return 413, "too large"
    if not body.strip():
        return 200, "ok"  # Exact's validation call; answered alike for every name
    slug = path[len(PREFIX) :].strip("/")
    secret = secrets.get(slug)
    if secret is None:
        _rejections.note("", "no client with a webhook secret by that name")
        return 401, "rejected"
    try:
        content, code = verified_event(body, secret)
    except WebhookRejected as exc:
        _rejections.note(slug, str(exc))
        return 401, "rejected"
    if replay is not None and not replay.first_time(slug, code):
        log.info("exact webhook for %s: already seen today; ignored", slug)
        return 200, "ok"
    trigger(slug, content)
    return 200, "ok"


_REASONS = {
    200: "OK",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
}


def make_webhook_app(
    secrets: Mapping[str, str], trigger: Trigger, replay: ReplayGuard | None = None
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The same endpoint as a WSGI app (for mounting behind any WSGI server, which must then
    bound connections, time-outs and body size itself); `dunning serve` answers it on its own
    webhook listener (`connector.serve.webhook`) through `handle`."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def answer(status: int, text: str = "") -> list[bytes]:
            start_response(
                f"{status} {_REASONS.get(status, '')}".strip(),
                [("Content-Type", "text/plain; charset=utf-8")],
            )
            return [text.encode()]

        if environ.get("REQUEST_METHOD") != "POST":
            return answer(405)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            return answer(413)
        body = environ["wsgi.input"].read(length) if length else b""
        path = str(environ.get("PATH_INFO", ""))
        return answer(*handle(path, body, secrets, trigger, replay))

    return app


# -- subscriptions (`dunning exact webhooks subscribe|list|remove CLIENT`) ------------------------
# ``webhooks/WebhookSubscriptions`` (Exact's reference, WebhooksWebhookSubscriptions): properties
# ID, CallbackURL, ClientID, Created, Creator, CreatorFullName, Description, Division, IsInstant,
# Topic, UserID. A subscription is created with a POST of ``Topic`` and ``CallbackURL`` and
# removed with ``DELETE WebhookSubscriptions(guid'…')`` (picqer/exact-php-client,
# src/Picqer/Financials/Exact/WebhookSubscription.php; https://pionect.nl/using-webhooks-from-exact/).

WEBHOOK_SUBSCRIPTIONS = Endpoint(
    "webhook subscriptions",
    "webhooks/WebhookSubscriptions",
    ("ID", "CallbackURL", "Topic", "Division"),
)
WEBHOOK_SUBSCRIBE = PostSpec(
    "webhook subscription", "webhooks/WebhookSubscriptions", ("Topic", "CallbackURL")
)

#: the topics Exact's webhook material names (https://pionect.nl/using-webhooks-from-exact/;
#: picqer's WebhookSubscription.php: "e.g.: FinancialTransactions, Items, StockPositions")
DOCUMENTED_TOPICS = (
    "Accounts",
    "BankAccounts",
    "Contacts",
    "CostTransactions",
    "Documents",
    "FinancialTransactions",
    "GoodsDeliveries",
    "Items",
    "PurchaseOrders",
    "Quotations",
    "SalesInvoices",
    "SalesOrders",
    "StockPositions",
    "TimeTransactions",
)
#: what the connector follows: customers, their contacts (e-mail addresses), and the financial
#: entries that open and settle receivables (invoices booked, payments matched)
DEFAULT_TOPICS = ("Accounts", "Contacts", "FinancialTransactions")


class SubscriptionClient(Protocol):
    """The part of `adapters.exact.client.ExactClient` the subscription set-up uses."""

    def rows(self, division: int | None, endpoint: Endpoint) -> list[dict[str, Any]]: ...

    def post(self, division: int, spec: PostSpec, values: Mapping[str, Any]) -> dict[str, Any]: ...

    def call(self, method: str, url: str, *, division: int, endpoint: str) -> Any: ...

    def url(self, division: int | None, path: str) -> str: ...


@dataclass(frozen=True)
class Subscription:
    division: int
    topic: str
    callback_url: str
    ref: str  # Exact's ID, only to remove it (never shown)


def callback_url(configured: str, slug: str) -> str:
    """The URL Exact posts to: `configured` as given, or with ``/exact/webhook/<client>``
    appended when it names only the host. HTTPS is required (Exact posts only to HTTPS), except
    on loopback for a local trial against the sandbox."""
    parts = urlsplit(configured)
    host = (parts.hostname or "").lower()
    loopback = host in ("localhost", "::1") or host.startswith("127.")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError(f"exact.webhook_url must be an https:// URL (got {parts.scheme}://)")
    if parts.path in ("", "/"):
        return f"{configured.rstrip('/')}{PREFIX}{slug}"
    return configured


def subscriptions(client: SubscriptionClient, divisions: Iterable[int]) -> list[Subscription]:
    out = []
    for division in divisions:
        for row in client.rows(division, WEBHOOK_SUBSCRIPTIONS):
            out.append(
                Subscription(
                    int(row.get("Division") or division),
                    str(row.get("Topic") or ""),
                    str(row.get("CallbackURL") or ""),
                    str(row.get("ID") or ""),
                )
            )
    return sorted(out, key=lambda s: (s.division, s.topic, s.callback_url))


def subscribe(
    client: SubscriptionClient, divisions: Iterable[int], url: str, topics: Iterable[str]
) -> list[tuple[int, str, bool]]:
    """Subscribe `url` to `topics` in each division, once: the existing subscriptions are
    listed first and only missing ones are created. (division, topic, created) per pair."""
    wanted = _checked_topics(topics)
    out = []
    for division in divisions:
        have = {s.topic for s in subscriptions(client, [division]) if s.callback_url == url}
        for topic in wanted:
            if topic in have:
                out.append((division, topic, False))
                continue
            client.post(division, WEBHOOK_SUBSCRIBE, {"Topic": topic, "CallbackURL": url})
            out.append((division, topic, True))
    return out


def unsubscribe(
    client: SubscriptionClient,
    divisions: Iterable[int],
    url: str,
    topics: Iterable[str] | None = None,
) -> list[Subscription]:
    """Remove this client's subscriptions (those with its callback URL; `topics` narrows them).
    Subscriptions to other URLs are left alone. Returns what was removed."""
    only = set(_checked_topics(topics)) if topics else None
    removed = []
    path = WEBHOOK_SUBSCRIPTIONS.path
    for sub in subscriptions(client, divisions):
        if sub.callback_url != url or (only is not None and sub.topic not in only):
            continue
        from adapters.exact.mapping import guid_literal

        target = client.url(sub.division, f"{path}({guid_literal(sub.ref)})")
        client.call("DELETE", target, division=sub.division, endpoint=path)
        removed.append(sub)
    return removed


def _checked_topics(topics: Iterable[str]) -> list[str]:
    out = []
    for topic in topics:
        match = next((t for t in DOCUMENTED_TOPICS if t.lower() == topic.strip().lower()), None)
        if match is None:
            raise ValueError(
                f"unknown webhook topic {topic!r}; Exact's topics: {', '.join(DOCUMENTED_TOPICS)}"
            )
        if match not in out:
            out.append(match)
    return out
