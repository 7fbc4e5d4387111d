"""Injected failures for sandboxes: "the next 2 GETs of /invoices answer 500", or "every call of
organisation 20071234 times out" (a query parameter to match: one tenant of a shared sandbox)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from sandboxes.kit.router import Request, Response


@dataclass
class Fault:
    method: str  # "GET", "POST" or "*"
    path_regex: str
    response: Response  # what to answer instead (status, body, delay)
    times: int = 1  # how many matching requests it applies to
    skip: int = 0  # let this many matching requests through first
    passthrough: bool = False  # run the real handler too (e.g. "crash after the mail went out")
    #: query parameters the request must carry with these values, e.g. {"organization_id": …}
    query: dict[str, str] = field(default_factory=dict)

    def matches(self, request: Request) -> bool:
        return (
            self.method in ("*", request.method)
            and re.search(self.path_regex, request.path) is not None
            and all(request.query.get(k) == v for k, v in self.query.items())
        )


class FaultQueue:
    """Thread-safe list of pending faults, consumed in order of registration."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self.fired: list[tuple[str, str, int]] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, request: Request) -> Fault | None:
        """The fault that applies to `request`, if any (and count it as used)."""
        with self._lock:
            for fault in self._faults:
                if not fault.matches(request):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                    return None
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                self.fired.append((request.method, request.path, fault.response.status))
                return fault
        return None
