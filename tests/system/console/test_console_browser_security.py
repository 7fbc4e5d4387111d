"""The security promises seen from the browser: another client's pages do not exist for an
owner, a form without its CSRF token is refused, and no secret reaches a page or the log."""

from __future__ import annotations

from pathlib import Path

from console_browser import login, screenshot
from console_support import PASSWORD
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from connector.console.users import list_users
from sandboxes.zoho.world import ZohoWorld


def test_an_owner_sees_only_their_client_and_another_clients_page_does_not_exist(
    driver: WebDriver, console_url: str
) -> None:
    login(driver, console_url, "acme@console.example")
    nav = driver.find_element(By.CSS_SELECTOR, "header nav").text
    assert "(acme)" in nav and "(bakker)" not in nav
    rows = driver.find_elements(By.CSS_SELECTOR, "table.overview tbody tr")
    assert len(rows) == 1
    driver.get(f"{console_url}/clients/bakker")
    heading = driver.find_element(By.TAG_NAME, "h1").text
    assert heading == "Not found"
    assert "bakker)" not in driver.find_element(By.TAG_NAME, "main").text


def test_a_form_sent_without_its_csrf_token_is_refused(driver: WebDriver, console_url: str) -> None:
    login(driver, console_url, "acme@console.example")
    driver.execute_script(
        "document.querySelector('header form[action=\"/logout\"] input[name=csrf_token]').remove()"
    )
    driver.find_element(By.CSS_SELECTOR, "header form[action='/logout'] button").click()
    # a click starts the navigation; it does not wait for the next page
    WebDriverWait(driver, 15).until(
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Not allowed")
    )
    assert driver.find_element(By.TAG_NAME, "h1").text == "Not allowed"
    driver.get(console_url)
    assert driver.current_url == f"{console_url}/"  # the refused logout did nothing


def _secrets(world: ZohoWorld) -> list[str]:
    found = [PASSWORD, *world.env.values()]
    for slug in world.clients:
        record = world.app.tokens.get(slug)
        assert record is not None
        found += [record.refresh_token, record.access_token or ""]
    with world.app.engine.connect() as conn:
        found += [row[0] for row in conn.exec_driver_sql("SELECT password_hash FROM console_user")]
    return [s for s in found if s and len(s) >= 8]


def test_no_secret_reaches_a_page_or_the_console_log(
    driver: WebDriver, console_url: str, console_world: ZohoWorld, console_log: Path
) -> None:
    login(driver, console_url, "admin@console.example")
    screenshot(driver, "overview-admin")  # an administrator's overview: every client
    cookie = driver.get_cookie("dunning_session")
    assert cookie is not None
    pages = [console_url + "/"] + [
        a.get_attribute("href") or "" for a in driver.find_elements(By.CSS_SELECTOR, "header nav a")
    ]
    secrets = [*_secrets(console_world), cookie["value"]]
    for page in pages:
        driver.get(page)
        source = driver.page_source
        leaked = [s[:6] + "…" for s in secrets if s in source]
        assert leaked == [], f"{page} shows a secret"
    log = console_log.read_text(encoding="utf-8")
    assert [s[:6] for s in secrets if s in log] == []
    assert list_users(console_world.app.engine)  # the users were there to leak, and did not
