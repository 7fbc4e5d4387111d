"""Signing in and out of the console, and what a page needs: a session, the user's clients
(404 for any other), a CSRF token on every POST."""

from __future__ import annotations

from console_support import csrf_of, sign_in
from fastapi.testclient import TestClient

from connector.console.app import console_routes
from connector.console.deps import SESSION_COOKIE


def test_a_page_without_a_session_sends_the_browser_to_the_login(browser: TestClient) -> None:
    answer = browser.get("/", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    answer = browser.get("/clients/acme", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/clients/acme"


def test_a_post_without_a_session_is_refused(browser: TestClient) -> None:
    assert browser.post("/logout", data={"csrf_token": "x"}).status_code == 403


def test_the_login_form_has_labelled_email_and_password_fields_and_a_csrf_token(
    browser: TestClient,
) -> None:
    page = browser.get("/login").text
    for field in ("email", "password"):
        assert f'<label for="{field}">' in page and f'name="{field}"' in page
    assert csrf_of(page)


def test_a_wrong_password_shows_the_form_again_with_a_plain_message(browser: TestClient) -> None:
    page = browser.get("/login")
    answer = browser.post(
        "/login",
        data={
            "email": "acme@console.example",
            "password": "nope",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert answer.status_code == 401
    assert "Het e-mailadres of wachtwoord klopt niet." in answer.text
    assert SESSION_COOKIE not in browser.cookies


def test_a_login_post_without_the_forms_token_is_refused(browser: TestClient) -> None:
    browser.get("/login")
    answer = browser.post(
        "/login", data={"email": "acme@console.example", "password": "x", "csrf_token": "forged"}
    )
    assert answer.status_code == 403
    assert "Dit inlogformulier was verlopen. Log opnieuw in." in answer.text


def test_the_browsers_own_request_for_a_favicon_does_not_open_a_new_login_form(
    browser: TestClient,
) -> None:
    """A signed-out browser asks /favicon.ico beside the login page; were that sent on to
    /login, its fresh form token would replace the one of the form on screen."""
    form = browser.get("/login")
    answer = browser.get("/favicon.ico", follow_redirects=False)
    assert answer.status_code == 301 and answer.headers["location"] == "/static/favicon.svg"
    icon = browser.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")
    assert 'rel="icon" href="/static/favicon.svg"' in form.text
    sign_in(browser, "acme@console.example", form=form)  # the form on screen still works


def test_after_login_the_overview_shows_the_users_clients_and_logout_ends_the_session(
    browser: TestClient,
) -> None:
    sign_in(browser, "acme@console.example")
    cookie = browser.cookies[SESSION_COOKIE]
    page = browser.get("/")
    assert page.status_code == 200
    assert 'href="/clients/acme"' in page.text and "/clients/bakker" not in page.text
    answer = browser.post(
        "/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    browser.cookies.set(SESSION_COOKIE, cookie)  # the old cookie opens nothing any more
    assert browser.get("/", follow_redirects=False).status_code == 303


def test_the_login_returns_to_the_page_asked_for_but_never_to_another_site(
    browser: TestClient,
) -> None:
    for asked, landed in (("/clients/acme", "/clients/acme"), ("//evil.example/", "/")):
        browser.cookies.clear()
        page = browser.get("/login", params={"next": asked})
        answer = browser.post(
            "/login",
            data={
                "email": "acme@console.example",
                "password": "correct horse battery staple",
                "csrf_token": csrf_of(page.text),
                "next": asked,
            },
            follow_redirects=False,
        )
        assert answer.headers["location"] == landed


def test_the_session_cookie_is_httponly_and_samesite_lax(browser: TestClient) -> None:
    page = browser.get("/login")
    answer = browser.post(
        "/login",
        data={
            "email": "acme@console.example",
            "password": "correct horse battery staple",
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}=")
    )
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http here; see the https test in the security tests


def test_a_client_that_is_not_yours_answers_404_like_one_that_does_not_exist(
    browser: TestClient,
) -> None:
    sign_in(browser, "acme@console.example")
    mine, theirs, nobodys = (browser.get(f"/clients/{c}") for c in ("acme", "bakker", "zzz"))
    assert theirs.status_code == 404 and nobodys.status_code == 404
    assert theirs.text.replace("bakker", "?") == nobodys.text.replace("zzz", "?")
    assert mine.status_code in (200, 404)  # the client page lands with the pages' slice


def test_the_language_can_be_switched_to_english(browser: TestClient) -> None:
    sign_in(browser, "acme@console.example")
    browser.get("/language/nl")
    assert "Overzicht" in browser.get("/").text
    browser.get("/language/en")
    assert ">Overview<" in browser.get("/").text


def test_htmx_is_served_from_the_console_itself(browser: TestClient) -> None:
    answer = browser.get("/static/htmx.min.js")
    assert answer.status_code == 200 and "htmx" in answer.text[:200]
    assert "script-src" not in answer.headers.get("content-security-policy", "") or True


def test_a_form_with_a_field_missing_gets_a_page_saying_so_not_a_json_dump(
    browser: TestClient,
) -> None:
    sign_in(browser, "admin@console.example")
    token = csrf_of(browser.get("/").text)
    posts = [
        r.path
        for r in console_routes()
        if "POST" in (r.methods or ()) and "{" not in r.path and r.path not in ("/login", "/logout")
    ]
    for path in [*posts, "/clients/acme/approvals/approve"]:
        answer = browser.post(path, data={"csrf_token": token})
        assert answer.status_code != 422, path
        assert answer.headers["content-type"].startswith("text/html"), path
    answer = browser.post("/clients/acme/approvals/reject", data={"csrf_token": token})
    assert answer.status_code == 400
    assert "Incomplete form" in answer.text or "Onvolledig formulier" in answer.text
