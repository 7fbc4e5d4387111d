"""The sandbox's OAuth is Moneybird's authorization-code flow: a consent page, a one-time code,
tokens without expiry unless told, and a refresh that rotates the refresh token."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests
from moneybird_sandbox_harness import Loopback, Moneybird, open_moneybird

from sandboxes.moneybird import Limits


def _authorize(mb: Moneybird, **extra: str) -> requests.Response:
    params = {
        "client_id": mb.info.client_id,
        "redirect_uri": mb.info.redirect_uri,
        "response_type": "code",
        "scope": "sales_invoices settings",
        "state": "xyz",
        **extra,
    }
    return requests.get(f"{mb.url}/oauth/authorize", params=params, timeout=10)


def _consent(mb: Moneybird, decision: str, **extra: str) -> dict[str, list[str]]:
    """Answer the consent page's form as the user would; the redirect's query."""
    page = _authorize(mb, **extra)
    fields = dict(re.findall(r"name='([^']+)' value='([^']*)'", page.text))
    fields["decision"] = decision
    r = requests.post(f"{mb.url}/oauth/authorize", data=fields, allow_redirects=False, timeout=10)
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location.startswith(mb.info.redirect_uri + "?")
    return parse_qs(urlsplit(location).query)


def _code(mb: Moneybird) -> str:
    return _consent(mb, "allow")["code"][0]


def test_the_consent_page_names_the_application_the_scopes_and_the_administrations(
    moneybird: Moneybird,
) -> None:
    page = _authorize(moneybird)
    assert page.status_code == 200
    assert "Dunning connector" in page.text
    assert "sales_invoices, settings" in page.text
    assert "Demo Schilderwerken B.V." in page.text
    assert "id='allow'" in page.text and "id='deny'" in page.text


def test_allowing_redirects_with_a_code_and_the_state_denying_with_access_denied(
    moneybird: Moneybird,
) -> None:
    allowed = _consent(moneybird, "allow")
    assert allowed["state"] == ["xyz"] and len(allowed["code"][0]) >= 32
    denied = _consent(moneybird, "deny")
    assert denied == {"error": ["access_denied"], "state": ["xyz"]}


def test_an_unknown_client_or_redirect_uri_gets_an_error_page_and_no_redirect(
    moneybird: Moneybird,
) -> None:
    r = _authorize(moneybird, client_id="nobody")
    assert r.status_code == 401 and "Location" not in r.headers
    r = _authorize(moneybird, redirect_uri="https://evil.example/cb")
    assert r.status_code == 400 and "redirect uri" in r.text


def test_the_code_gives_tokens_without_expiry_once(moneybird: Moneybird) -> None:
    code = _code(moneybird)
    form = {"grant_type": "authorization_code", "code": code}
    r = moneybird.token_call(**form, redirect_uri=moneybird.info.redirect_uri)
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["scope"] == "sales_invoices settings"
    assert "expires_in" not in body  # Moneybird's access tokens do not expire (for now)
    assert moneybird.get("administrations", headers=moneybird.headers(body["access_token"])).ok
    again = moneybird.token_call(**form, redirect_uri=moneybird.info.redirect_uri)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_no_scope_asked_means_sales_invoices(moneybird: Moneybird) -> None:
    code = _consent(moneybird, "allow", scope="")["code"][0]
    r = moneybird.token_call(
        grant_type="authorization_code", code=code, redirect_uri=moneybird.info.redirect_uri
    )
    assert r.json()["scope"] == "sales_invoices"


def test_a_wrong_secret_is_invalid_client(moneybird: Moneybird) -> None:
    r = moneybird.token_call(
        grant_type="refresh_token", refresh_token=moneybird.token.refresh, client_secret="x"
    )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_a_refresh_gives_a_new_pair_and_the_used_refresh_token_dies(moneybird: Moneybird) -> None:
    old = moneybird.token
    r = moneybird.token_call(grant_type="refresh_token", refresh_token=old.refresh)
    assert r.status_code == 200
    new = r.json()
    assert new["refresh_token"] != old.refresh and new["access_token"] != old.access
    assert moneybird.state.refresh_token_state(old.refresh) == "dead"
    assert moneybird.get("administrations").status_code == 401  # the old access token too
    reused = moneybird.token_call(grant_type="refresh_token", refresh_token=old.refresh)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert moneybird.get("administrations", headers=moneybird.headers(new["access_token"])).ok


def test_with_an_access_ttl_tokens_say_expires_in_and_expire(mb_loopback: Loopback) -> None:
    mb = open_moneybird(mb_loopback, Limits(access_ttl=3600))
    r = mb.token_call(grant_type="refresh_token", refresh_token=mb.token.refresh)
    assert r.json()["expires_in"] == 3600
    headers = mb.headers(r.json()["access_token"])
    assert mb.get("administrations", headers=headers).ok
    mb.clock.advance(3600)
    expired = mb.get("administrations", headers=headers)
    assert expired.status_code == 401
    assert expired.json() == {"error": "The access token expired"}
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]


def test_an_out_of_band_redirect_shows_the_code_on_a_page(mb_loopback: Loopback) -> None:
    mb = open_moneybird(mb_loopback, Limits(auto_consent=True))
    r = _authorize(mb, redirect_uri="urn:ietf:wg:oauth:2.0:oob")
    assert r.status_code == 200
    code = re.search(r"<code id='code'>([0-9a-f]+)</code>", r.text)
    assert code is not None
    token = mb.token_call(
        grant_type="authorization_code",
        code=code.group(1),
        redirect_uri="urn:ietf:wg:oauth:2.0:oob",
    )
    assert token.status_code == 200
