"""Counters of the HTTP calls per platform, method and path template (ids folded away)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

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
