"""Optional Exact Online webhooks: verify ``HashCode`` and trigger an early sync of the client.

Exact posts ``{"Content": {"Topic": …, "Division": …, "Key": …, …}, "HashCode": "3ACB…"}``
where HashCode is the upper-case hex HMAC-SHA256 of the *raw* ``Content`` JSON text keyed with
the app's webhook secret (reference §7). The payload only names a key, so a verified event just
asks for an early sync (`trigger(slug, content)`); polling stays the source of truth, and a lost
or forged event changes nothing.

`handle` answers ``POST /exact/webhook/<client>`` (on `dunning serve`'s HTTP port, and as the
WSGI app `make_webhook_app`). An empty body (Exact's validation call on subscribe) answers 200; a
bad or missing HashCode 401; an unknown client, or one without ``exact.webhook_secret``, 404.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

log = logging.getLogger("adapters.exact.webhook")

Trigger = Callable[[str, dict[str, Any]], None]
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
MAX_BODY = 64 * 1024


class WebhookRejected(ValueError):
    pass


def raw_content(body: str) -> str:
    """The exact text of the top-level ``Content`` value (whitespace and key order kept)."""
    decoder = json.JSONDecoder()
    data, _ = decoder.raw_decode(body.lstrip())
    if not isinstance(data, dict) or "Content" not in data:
        raise WebhookRejected("no Content")
    start = 0
    while True:
        at = body.find('"Content"', start)
        if at < 0:
            raise WebhookRejected("no Content")
        colon = body.find(":", at + len('"Content"'))
        value_start = colon + 1
        while value_start < len(body) and body[value_start] in " \t\r\n":
            value_start += 1
        try:
            value, end = decoder.raw_decode(body, value_start)
        except ValueError:
            start = at + 1
            continue
        if value == data["Content"]:
            return body[value_start:end]
        start = at + 1


def hash_code(content: str, secret: str) -> str:
    return hmac.new(secret.encode(), content.encode(), hashlib.sha256).hexdigest().upper()


def verify(body: bytes, secret: str) -> dict[str, Any]:
    """The verified ``Content`` object, or WebhookRejected."""
    try:
        text = body.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise WebhookRejected("not JSON") from None
    given = data.get("HashCode") if isinstance(data, dict) else None
    if not isinstance(given, str):
        raise WebhookRejected("no HashCode")
    content = raw_content(text)
    if not hmac.compare_digest(hash_code(content, secret), given.strip().upper()):
        raise WebhookRejected("HashCode does not match")
    parsed = json.loads(content)
    if not isinstance(parsed, dict):
        raise WebhookRejected("Content is not an object")
    return parsed


PREFIX = "/exact/webhook/"


def handle(path: str, body: bytes, secrets: Mapping[str, str], trigger: Trigger) -> tuple[int, str]:
    """One ``POST /exact/webhook/<client>``: (HTTP status, text). `secrets` maps client slug to
    webhook secret; a verified event calls `trigger(slug, content)`."""
    if not path.startswith(PREFIX):
        return 404, "not found"
    slug = path[len(PREFIX) :].strip("/")
    secret = secrets.get(slug)
    if secret is None:
        return 404, "not found"
    if len(body) > MAX_BODY:
        return 413, "too large"
    if not body.strip():
        return 200, "ok"  # Exact's validation call
    try:
        content = verify(body, secret)
    except WebhookRejected as exc:
        log.warning("exact webhook for %s rejected: %s", slug, exc)
        return 401, "rejected"
    trigger(slug, content)
    return 200, "ok"


_REASONS = {200: "OK", 401: "Unauthorized", 404: "Not Found", 413: "Payload Too Large"}


def make_webhook_app(
    secrets: Mapping[str, str], trigger: Trigger
) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The same endpoint as a WSGI app (for mounting behind any WSGI server); `dunning serve`
    answers it on its HTTP port through `handle`."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        def answer(status: int, text: str = "") -> list[bytes]:
            start_response(
                f"{status} {_REASONS.get(status, '')}".strip(),
                [("Content-Type", "text/plain; charset=utf-8")],
            )
            return [text.encode()]

        if environ.get("REQUEST_METHOD") != "POST":
            return answer(404)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_BODY:
            return answer(413)
        body = environ["wsgi.input"].read(length) if length else b""
        return answer(*handle(str(environ.get("PATH_INFO", "")), body, secrets, trigger))

    return app
