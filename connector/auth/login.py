"""The OAuth 2.0 authorization-code flow with a local callback (`dunning auth login CLIENT`).

A small HTTP server listens on ``127.0.0.1:<redirect_port>``; the consent page is opened in the
user's browser; the platform redirects the browser to ``/callback?code=...&state=...``. The state
is compared (CSRF), the browser gets a short "you can close this window" page, and the code is
exchanged for tokens by the platform's `exchange` function. The code is single use and short-lived
(Zoho: 60 s), so the exchange happens right away.
"""

from __future__ import annotations

import html
import logging
import secrets
import threading
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from connector.auth.tokens import TokenResponse

log = logging.getLogger("connector.auth")

CALLBACK_PATH = "/callback"


class LoginError(Exception):
    """The login did not complete: denied, wrong state, timed out, or no code."""


@dataclass(frozen=True, slots=True)
class CallbackParams:
    """What the platform sent to the callback (besides the code): e.g. Zoho's
    ``location`` and ``accounts-server`` for multi-DC accounts."""

    code: str
    extra: dict[str, str]


_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:4em auto">
<h1>{title}</h1><p>{text}</p></body></html>"""


def redirect_uri_for(port: int) -> str:
    return f"http://127.0.0.1:{port}{CALLBACK_PATH}"


def _with_state(url: str, state: str | None) -> tuple[str, str]:
    """The URL carrying a state, and that state (taken from the URL, or given, or made)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query, keep_blank_values=True)
    in_url = query.get("state", [None])[0]
    if in_url is not None:
        if state is not None and state != in_url:
            raise ValueError("the authorize URL carries a different state than the one given")
        return url, in_url
    state = state or secrets.token_urlsafe(24)
    extra = urlencode({"state": state})
    new_query = f"{parts.query}&{extra}" if parts.query else extra
    return urlunsplit(parts._replace(query=new_query)), state


class _Result:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.params: CallbackParams | None = None
        self.error: str | None = None


def _handler(expected_state: str, result: _Result) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # the URL carries the code
            return

        def _answer(self, status: int, title: str, text: str) -> None:
            body = _PAGE.format(title=html.escape(title), text=html.escape(text)).encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # http.server's name
            parts = urlsplit(self.path)
            if parts.path != CALLBACK_PATH:
                self._answer(404, "Not found", "This server only waits for the login callback.")
                return
            if result.done.is_set():
                self._answer(409, "Already done", "This login was already handled.")
                return
            query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            state = query.pop("state", None)
            if state is None or not secrets.compare_digest(state, expected_state):
                result.error = (
                    "the callback carried a wrong or missing state; the login was not started "
                    "by this command (possible forgery), try again"
                )
                self._answer(400, "Login rejected", "The state does not match; start again.")
            elif "error" in query:
                denied = query["error"]
                result.error = (
                    "access was denied on the consent page"
                    if denied == "access_denied"
                    else f"the platform answered error={denied}"
                )
                self._answer(400, "Login not completed", f"No access was granted ({denied}).")
            elif not query.get("code"):
                result.error = "the callback carried no code"
                self._answer(400, "Login not completed", "No authorization code was received.")
            else:
                code = query.pop("code")
                result.params = CallbackParams(code=code, extra=query)
                self._answer(
                    200, "Logged in", "The connector is authorised. You can close this window."
                )
            result.done.set()

    return Handler


def parse_pasted(text: str, expected_state: str) -> CallbackParams:
    """What the user pasted after consent on another machine: the whole redirected URL (from
    the browser's address bar; its state is checked) or the bare code.

    Raises:
        LoginError: wrong or missing state, denied consent, or nothing usable pasted.
    """
    text = text.strip()
    if not text:
        raise LoginError("nothing was pasted; run the login again")
    if "?" not in text and "=" not in text:  # the bare code
        return CallbackParams(code=text, extra={})
    query = {
        k: v[0] for k, v in parse_qs(urlsplit(text).query or text, keep_blank_values=True).items()
    }
    state = query.pop("state", None)
    if state is None or not secrets.compare_digest(state, expected_state):
        raise LoginError(
            "the pasted URL carries a wrong or missing state: it is not the answer to this "
            "login (possible forgery); run the login again and paste the URL it leads to"
        )
    if "error" in query:
        denied = query["error"]
        raise LoginError(
            "access was denied on the consent page"
            if denied == "access_denied"
            else f"the platform answered error={denied}"
        )
    code = query.pop("code", "")
    if not code:
        raise LoginError("the pasted URL carries no code")
    return CallbackParams(code=code, extra=query)


def run_login(
    authorize_url: str,
    exchange: Callable[[str], TokenResponse],
    *,
    redirect_port: int,
    state: str | None = None,
    open_browser: Callable[[str], object] = webbrowser.open,
    timeout: float = 300,
    on_callback: Callable[[CallbackParams], None] | None = None,
    paste: Callable[[], str] | None = None,
) -> TokenResponse:
    """Run the authorization-code flow and return the exchanged tokens.

    Args:
        authorize_url: the consent URL; it carries the redirect URI
            ``http://127.0.0.1:<redirect_port>/callback`` and, normally, the state.
        exchange: turns the code into tokens (the platform's token endpoint).
        redirect_port: the local port to listen on (must match the registered redirect URI).
        state: the expected state; when None it is read from `authorize_url`, or made up and
            added to it.
        open_browser: shows the consent page (tests pass a function that follows it).
        timeout: seconds to wait for the callback.
        on_callback: sees the callback's other parameters before the exchange (e.g. Zoho's
            ``accounts-server``).

        paste: no local callback (a container, a server over SSH): after showing the URL, read
            the redirected URL (or the code) the user pastes, like `gcloud auth login
            --no-launch-browser`.

    Raises:
        LoginError: denied, wrong state, no code, or no callback within `timeout`.
    """
    url, expected = _with_state(authorize_url, state)
    if paste is not None:
        open_browser(url)
        params = parse_pasted(paste(), expected)
        if on_callback is not None:
            on_callback(params)
        return exchange(params.code)
    result = _Result()
    server = HTTPServer(("127.0.0.1", redirect_port), _handler(expected, result))
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        daemon=True,
        name="oauth-callback",
    )
    thread.start()
    try:
        log.info("waiting for the login callback on %s", redirect_uri_for(redirect_port))
        open_browser(url)
        if not result.done.wait(timeout):
            raise LoginError(f"no login callback within {timeout:.0f} s; try again")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    if result.error is not None:
        raise LoginError(result.error)
    if result.params is None:  # pragma: no cover - set together with `done`
        raise LoginError("the callback carried no code")
    if on_callback is not None:
        on_callback(result.params)
    return exchange(result.params.code)
