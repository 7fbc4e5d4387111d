"""The console's security promises, route by route.

The route walkers read `app.routes`, so every page added later (client page, approvals,
preview, connect, audit …) is covered without editing this file: an owner of `acme` gets the
same 404 on every route of `bakker` as on a client that does not exist, and a POST without the
session's CSRF token is refused with 403 on every POST route.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from console_support import PASSWORD, csrf_of, sign_in
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from connector.config.models import ConsoleSettings
from connector.console.app import console_routes, create_app
from connector.console.auth import PER_EMAIL, PER_REMOTE, WINDOW
from connector.console.deps import SESSION_COOKIE, ConsoleContext
from connector.domain.clock import ManualClock

#: a value for each path parameter a route may have, other than the client's name
SAMPLE_PARAMS = {
    "ref": "1001",
    "platform": "zoho",
    "action": "1",
    "language": "en",
    "filename": "statement.pdf",
}
_PARAM = re.compile(r"{(\w+)(?::\w+)?}")


#: the customer's own page: its token is the key, no session (tests/integration/console/
#: test_customer_page.py: a bad token is 404, a form without the page's token 403)
PUBLIC = "/p/"


def routes(ctx: ConsoleContext) -> list[APIRoute]:
    return console_routes()


def fill(path: str, name: str) -> str:
    def value(param: str) -> str:
        if param == "name":
            return name
        return SAMPLE_PARAMS.get(param, "1" if param.endswith("_id") else "x")

    return _PARAM.sub(lambda m: value(m.group(1)), path)


def client_routes(ctx: ConsoleContext) -> list[tuple[str, str]]:
    """(method, path with {name}) of every route about one client."""
    found = [
        (method, route.path)
        for route in routes(ctx)
        if "{name}" in route.path
        for method in sorted(route.methods or ())
        if method in ("GET", "POST")
    ]
    assert found, "no client routes found: the walker is not walking"
    return found


def test_an_owner_gets_404_on_every_route_of_another_client_as_for_no_client(
    browser: TestClient, console_ctx: ConsoleContext
) -> None:
    sign_in(browser, "acme@console.example")
    token = csrf_of(browser.get("/").text)
    for method, path in client_routes(console_ctx):
        answers = []
        for name in ("bakker", "no-such-client"):
            url = fill(path, name)
            if method == "GET":
                answer = browser.get(url, follow_redirects=False)
            else:
                answer = browser.post(url, data={"csrf_token": token}, follow_redirects=False)
            answers.append(answer)
        theirs, nobodys = answers
        # a GET is 404; a POST may be refused earlier for its missing form fields (400), but
        # then alike for both: nothing tells another's client from none, and nothing is done
        allowed = (404,) if method == "GET" else (404, 400)
        assert theirs.status_code in allowed, f"{method} {path}: {theirs.status_code}"
        assert nobodys.status_code == theirs.status_code, f"{method} {path}"
        assert theirs.text.replace("bakker", "?") == nobodys.text.replace("no-such-client", "?")
        assert "Demo Installatietechniek B.V. (bakker)" not in theirs.text


def test_every_post_without_the_csrf_token_is_refused_with_403(
    browser: TestClient, console_ctx: ConsoleContext
) -> None:
    sign_in(browser, "admin@console.example")
    posts = [
        route.path
        for route in routes(console_ctx)
        if "POST" in (route.methods or ())
        and route.path != "/login"
        and not route.path.startswith(PUBLIC)
    ]
    assert "/logout" in posts
    for path in posts:
        url = fill(path, "acme")
        assert browser.post(url, data={}).status_code == 403, path
        assert browser.post(url, data={"csrf_token": "forged"}).status_code == 403, path
    assert browser.get("/").status_code == 200  # still signed in: nothing was done


def test_a_post_needs_a_session_before_anything_else(
    browser: TestClient, console_ctx: ConsoleContext
) -> None:
    for route in routes(console_ctx):
        if (
            "POST" in (route.methods or ())
            and route.path != "/login"
            and not route.path.startswith(PUBLIC)
        ):
            assert browser.post(fill(route.path, "acme"), data={}).status_code == 403


def test_every_page_without_a_session_sends_the_browser_to_the_login(
    browser: TestClient, console_ctx: ConsoleContext
) -> None:
    for route in routes(console_ctx):
        if "GET" not in (route.methods or ()) or route.path.startswith(
            ("/login", "/favicon.ico", "/language", "/oauth/callback", PUBLIC)
        ):
            continue
        answer = browser.get(fill(route.path, "acme"), follow_redirects=False)
        assert answer.status_code == 303, route.path
        assert answer.headers["location"].startswith("/login"), route.path


def test_a_login_gives_a_new_session_id_so_a_planted_one_never_signs_in(
    browser: TestClient,
) -> None:
    browser.get("/login")
    domain = "testserver.local"
    browser.cookies.set(SESSION_COOKIE, "chosen-by-an-attacker", domain=domain)
    sign_in(browser, "acme@console.example")
    first = browser.cookies[SESSION_COOKIE]
    assert first != "chosen-by-an-attacker"
    sign_in(browser, "acme@console.example")  # again, holding the first: it ends
    second = browser.cookies[SESSION_COOKIE]
    assert second != first
    for stale in ("chosen-by-an-attacker", first):
        browser.cookies.set(SESSION_COOKIE, stale, domain=domain)
        assert browser.get("/", follow_redirects=False).status_code == 303
    browser.cookies.set(SESSION_COOKIE, second, domain=domain)
    assert browser.get("/", follow_redirects=False).status_code == 200


def test_the_session_cookie_is_secure_when_the_console_is_reached_over_https(
    console_ctx: ConsoleContext,
) -> None:
    ctx = ConsoleContext(
        console_ctx.app, console_ctx.clock, ConsoleSettings(public_url="https://dunning.example")
    )
    with TestClient(create_app(ctx), base_url="https://testserver") as client:
        page = client.get("/login")
        answer = client.post(
            "/login",
            data={
                "email": "acme@console.example",
                "password": PASSWORD,
                "csrf_token": csrf_of(page.text),
            },
            follow_redirects=False,
        )
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}=")
    )
    assert "Secure" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()


def _try(browser: TestClient, email: str, password: str) -> int:
    page = browser.get("/login")
    answer = browser.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    return int(answer.status_code)


def test_logins_are_rate_limited_per_address_even_with_the_right_password(
    browser: TestClient, clock: ManualClock
) -> None:
    for _ in range(PER_EMAIL):
        assert _try(browser, "acme@console.example", "a wrong guess!") == 401
    assert _try(browser, "acme@console.example", PASSWORD) == 429
    assert _try(browser, "bakker@console.example", PASSWORD) == 303  # others are not blocked
    clock.advance(WINDOW + timedelta(seconds=1))
    assert _try(browser, "acme@console.example", PASSWORD) == 303


def test_logins_are_rate_limited_per_remote_address_across_addresses(
    browser: TestClient,
) -> None:
    for n in range(PER_REMOTE):
        assert _try(browser, f"guess{n}@console.example", "a wrong guess!") == 401
    assert _try(browser, "bakker@console.example", PASSWORD) == 429


def test_pages_forbid_framing_and_foreign_content(browser: TestClient) -> None:
    headers = browser.get("/login").headers
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_the_language_switch_never_sends_the_browser_elsewhere(
    browser: TestClient, target: str
) -> None:
    answer = browser.get("/language/en", params={"next": target}, follow_redirects=False)
    assert answer.headers["location"] == "/"
