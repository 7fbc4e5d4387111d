"""The new-client form (issue #13): a client file written only when it passes the loader's
validation, never over an existing one, secrets as ${ENV} references; then on to Connect."""

from __future__ import annotations

import pytest
from console_support import csrf_of, sign_in
from fastapi.testclient import TestClient

from connector.app import App
from connector.status.audit import audit_log

FORM = {
    "platform": "zoho",
    "name": "claes",
    "display_name": "Claes Bouw B.V.",
    "language": "nl",
    "sender.name": "Claes Bouw",
    "sender.email": "debiteuren@claes.example",
    "zoho.data_center": "eu",
    "zoho.organization_id": "20099999",
    "zoho.client_id": "1000.CLAES",
    "zoho.client_secret": "CLAES_ZOHO_SECRET",
}


def _post(browser: TestClient, **changes: str) -> tuple[int, str, str]:
    page = browser.get("/clients/new?platform=zoho")
    form = {**FORM, **changes, "csrf_token": csrf_of(page.text)}
    answer = browser.post("/clients/new", data=form, follow_redirects=False)
    return answer.status_code, answer.headers.get("location", ""), answer.text


def test_the_form_asks_the_platforms_keys_with_labels(browser: TestClient) -> None:
    sign_in(browser, "consultant@console.example")
    first = browser.get("/clients/new").text
    assert '<label for="f-platform">' in first and "Zoho Books" in first
    page = browser.get("/clients/new?platform=zoho").text
    for field in ("zoho.organization_id", "zoho.client_id", "zoho.client_secret", "name"):
        assert f'name="{field}"' in page
        assert f'<label for="f-{field.replace(".", "-")}"' in page


def test_a_new_client_is_written_and_leads_to_connect(
    browser: TestClient, console_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAES_ZOHO_SECRET", "s3cret-claes")
    sign_in(browser, "admin@console.example")
    status, location, _ = _post(browser, enabled="on")
    assert (status, location) == (303, "/clients/claes/connect")
    text = (console_app.config_dir / "clients" / "claes.yaml").read_text()
    assert "client_secret: ${CLAES_ZOHO_SECRET}" in text and "s3cret-claes" not in text
    assert "Claes Bouw B.V." in browser.get(location).text
    [line] = audit_log(console_app.engine, "claes")
    assert line.who == "admin@console.example" and line.where == "console: new client"


def test_a_consultant_sees_the_client_they_added(
    browser: TestClient, console_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAES_ZOHO_SECRET", "s3cret-claes")
    sign_in(browser, "consultant@console.example")
    status, location, _ = _post(browser)
    assert status == 303
    assert browser.get(location).status_code == 200
    assert "claes" in browser.get("/").text


def test_an_existing_client_file_is_never_overwritten(
    browser: TestClient, console_app: App
) -> None:
    sign_in(browser, "admin@console.example")
    before = (console_app.config_dir / "clients" / "acme.yaml").read_text()
    status, _, page = _post(browser, name="acme", **{"zoho.organization_id": "20088888"})
    assert status == 409 and "a client of that name exists already" in page
    assert (console_app.config_dir / "clients" / "acme.yaml").read_text() == before


def test_problems_are_shown_at_their_fields_and_nothing_is_written(
    browser: TestClient, console_app: App
) -> None:
    sign_in(browser, "admin@console.example")
    status, _, page = _post(
        browser, **{"zoho.organization_id": "abc", "zoho.client_secret": "not a name"}
    )
    assert status == 400 and "name of an environment variable" in page
    status, _, page = _post(browser, **{"zoho.organization_id": "abc"})
    assert status == 400
    assert "zoho.organization_id: expected the organization id: digits only" in page
    assert not (console_app.config_dir / "clients" / "claes.yaml").exists()


def test_an_owner_cannot_add_clients_and_a_post_needs_the_token(browser: TestClient) -> None:
    sign_in(browser, "acme@console.example")
    assert browser.get("/clients/new").status_code == 404
    assert browser.post("/clients/new", data={**FORM, "csrf_token": "x"}).status_code == 403


def test_the_fields_come_from_the_platforms_settings_model() -> None:
    from connector.console.views.newclient import sections
    from connector.platforms.registry import platforms

    [zoho] = sections(platforms()["zoho"])
    required = [f.key for f in zoho.fields if f.required]
    assert required == ["data_center", "organization_id", "client_id", "client_secret"]
    assert [f.kind for f in zoho.fields[:4]] == ["choice", "text", "text", "secret"]
    exact, mail = sections(platforms()["exact"])  # Exact cannot send: a mail relay is asked
    assert "division" in [f.key for f in exact.fields if not f.required]  # or after consent
    assert mail.key == "mail" and {"smtp_host", "from"} <= {f.key for f in mail.fields}
    assert next(f for f in mail.fields if f.key == "password").kind == "secret"


def test_the_overview_links_to_the_form_for_those_who_may_add(browser: TestClient) -> None:
    sign_in(browser, "consultant@console.example")
    assert 'href="/clients/new"' in browser.get("/").text
    with TestClient(browser.app, base_url="http://testserver") as owner:
        sign_in(owner, "acme@console.example")
        assert 'href="/clients/new"' not in owner.get("/").text
        assert 'href="/clients/acme/audit"' in owner.get("/clients/acme").text
