"""A very small WSGI router: enough for a fake REST API, no framework needed."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

StartResponse = Callable[..., Any]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # path parameters
    raw_query: str = ""

    def json(self) -> Any:
        if not self.body:
            return None
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {k: v[-1] for k, v in parsed.items()}


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (timeouts)

    @classmethod
    def json(
        cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> Response:
        h = {"Content-Type": "application/json;charset=UTF-8"}
        h.update(headers or {})
        return cls(status, json.dumps(payload).encode(), h)

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(302, b"", {"Location": location})


Handler = Callable[[Request], Response]

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


class Router:
    """Routes `(method, path pattern)` to handlers; patterns use `{name}` for one path segment.

    `before` hooks run first and may answer instead of the handler (auth, rate limits, faults);
    `after` hooks may decorate every response (rate-limit headers).
    """

    def __init__(self, no_route: Callable[[int], Response] | None = None) -> None:
        #: builds the answer for an unknown path (404) or a wrong method (405), in the
        #: platform's own error format
        self.no_route = no_route or (lambda status: Response.json({"message": "no route"}, status))
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.before: list[Callable[[Request], Response | None]] = []
        self.after: list[Callable[[Request, Response], None]] = []

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

        def register(handler: Handler) -> Handler:
            self._routes.append((method.upper(), regex, handler))
            return handler

        return register

    def dispatch(self, request: Request) -> Response:
        for hook in self.before:
            early = hook(request)
            if early is not None:
                return self._finish(request, early)
        allowed = False
        for method, regex, handler in self._routes:
            m = regex.match(request.path)
            if not m:
                continue
            allowed = True
            if method != request.method:
                continue
            request.params = m.groupdict()
            return self._finish(request, handler(request))
        return self._finish(request, self.no_route(405 if allowed else 404))

    def _finish(self, request: Request, response: Response) -> Response:
        for hook in self.after:
            hook(request, response)
        return response

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        raw_query = environ.get("QUERY_STRING", "")
        query = {k: v[-1] for k, v in parse_qs(raw_query, keep_blank_values=True).items()}
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        request = Request(
            method=environ["REQUEST_METHOD"].upper(),
            path=environ.get("PATH_INFO", "/"),
            query=query,
            headers=headers,
            body=body,
            raw_query=raw_query,
        )
        response = self.dispatch(request)
        if response.delay > 0:
            import time

            time.sleep(response.delay)
        reason = _REASONS.get(response.status, "Unknown")
        start_response(f"{response.status} {reason}", list(response.headers.items()))
        return [response.body]
