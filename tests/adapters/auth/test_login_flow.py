"""run_login end to end: a fake consent page (responses) redirects to the real local callback."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import responses

from connector.auth.login import CallbackParams, LoginError, redirect_uri_for, run_login
from connector.auth.tokens import TokenResponse

AUTH = "https://accounts.example.test/oauth/v2/auth"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def consent() -> Iterator[Callable[[dict[str, str]], None]]:
    """Install a fake consent page answering with a redirect carrying `reply` (+ state)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_passthru("http://127.0.0.1")

        def install(reply: dict[str, str]) -> None:
            def grant(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
                q = {k: v[0] for k, v in parse_qs(urlsplit(request.url or "").query).items()}
                params = dict(reply)
                params.setdefault("state", q["state"])
                location = f"{q['redirect_uri']}?{urlencode(params)}"
                return 302, {"Location": location}, ""

            rsps.add_callback(responses.GET, AUTH, callback=grant)

        yield install


def follow(pages: list[requests.Response]) -> Callable[[str], object]:
    def open_browser(url: str) -> object:
        pages.append(requests.get(url, timeout=5))
        return True

    return open_browser


def consent_url(port: int, state: str | None = "st4te") -> str:
    q = {"client_id": "cid", "redirect_uri": redirect_uri_for(port), "response_type": "code"}
    if state:
        q["state"] = state
    return f"{AUTH}?{urlencode(q)}"


def test_the_code_from_the_callback_is_exchanged_and_the_browser_told_to_close(
    port: int, consent: Callable[[dict[str, str]], None]
) -> None:
    consent({"code": "1000.abc", "location": "eu", "accounts-server": "https://accounts.zoho.eu"})
    pages: list[requests.Response] = []
    seen: list[CallbackParams] = []
    exchanged: list[str] = []

    def exchange(code: str) -> TokenResponse:
        exchanged.append(code)
        return TokenResponse("a", 3600, "r", "https://www.zohoapis.eu")

    answer = run_login(
        consent_url(port),
        exchange,
        redirect_port=port,
        open_browser=follow(pages),
        timeout=10,
        on_callback=seen.append,
    )
    assert answer.refresh_token == "r"
    assert exchanged == ["1000.abc"]
    assert pages[0].status_code == 200
    assert "close this window" in pages[0].text
    assert seen[0].extra["accounts-server"] == "https://accounts.zoho.eu"


def test_a_wrong_state_is_rejected_with_a_clear_page_and_no_exchange(
    port: int, consent: Callable[[dict[str, str]], None]
) -> None:
    consent({"code": "1000.abc", "state": "forged"})
    pages: list[requests.Response] = []
    with pytest.raises(LoginError, match="state"):
        run_login(
            consent_url(port),
            lambda c: pytest.fail("exchanged"),
            redirect_port=port,
            open_browser=follow(pages),
            timeout=10,
        )
    assert pages[0].status_code == 400
    assert "state does not match" in pages[0].text


def test_access_denied_on_the_consent_page_is_reported(
    port: int, consent: Callable[[dict[str, str]], None]
) -> None:
    consent({"error": "access_denied"})
    pages: list[requests.Response] = []
    with pytest.raises(LoginError, match="denied"):
        run_login(
            consent_url(port),
            lambda c: pytest.fail("exchanged"),
            redirect_port=port,
            open_browser=follow(pages),
            timeout=10,
        )
    assert pages[0].status_code == 400


def test_a_state_is_added_when_the_url_has_none(
    port: int, consent: Callable[[dict[str, str]], None]
) -> None:
    consent({"code": "c"})
    opened: list[str] = []

    def open_browser(url: str) -> object:
        opened.append(url)
        return requests.get(url, timeout=5)

    run_login(
        consent_url(port, state=None),
        lambda c: TokenResponse("a", 1, "r"),
        redirect_port=port,
        open_browser=open_browser,
        timeout=10,
    )
    assert parse_qs(urlsplit(opened[0]).query)["state"][0]


def test_no_callback_times_out(port: int) -> None:
    with pytest.raises(LoginError, match="no login callback"):
        run_login(
            consent_url(port),
            lambda c: TokenResponse("a", 1),
            redirect_port=port,
            open_browser=lambda url: None,
            timeout=0.2,
        )
