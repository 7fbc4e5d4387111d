"""Connecting a client from the console in a real browser (issue #13): the connect page, the
Zoho sandbox's consent page, and back on the console's own callback URL, connected."""

from __future__ import annotations

from console_browser import login, screenshot
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from sandboxes.zoho.world import ZohoWorld


def test_a_consultant_connects_a_client_through_the_sandboxs_consent_page(
    driver: WebDriver, console_url: str, console_world: ZohoWorld
) -> None:
    callback = f"{console_url}/oauth/callback/zoho"
    for client in console_world.state.clients.values():  # the app's registered redirect URI
        if callback not in client.redirect_uris:
            client.redirect_uris.append(callback)
    before = console_world.app.tokens.get("bakker")
    assert before is not None

    login(driver, console_url, "consultant@console.example")
    driver.get(f"{console_url}/clients/bakker/connect")
    # the consultant reads English (their account's language)
    assert driver.find_element(By.TAG_NAME, "h1").text == "Connect Zoho Books"
    europe = driver.find_element(By.CSS_SELECTOR, "input[name=before][value=eu]")
    assert europe.is_selected()  # the client file's data centre
    label = driver.find_element(By.CSS_SELECTOR, f"label[for={europe.get_attribute('id')}]")
    assert label.text.startswith("Europe (zoho.eu)")
    screenshot(driver, "connect")

    driver.find_element(By.CSS_SELECTOR, "form.connect button[type=submit]").click()
    WebDriverWait(driver, 15).until(expected_conditions.url_contains("done=1"))
    assert driver.current_url == f"{console_url}/clients/bakker/connect?done=1"
    assert "Connected." in driver.find_element(By.TAG_NAME, "main").text

    after = console_world.app.tokens.get("bakker")
    assert after is not None and after.version > before.version and after.state == "ok"
    driver.get(f"{console_url}/clients/bakker/audit")
    first = driver.find_element(By.CSS_SELECTOR, "table.audit tbody tr").text
    assert "consultant@console.example" in first and "connected Zoho Books" in first
    screenshot(driver, "audit")


def test_the_new_client_form_asks_the_platforms_keys_with_labels(
    driver: WebDriver, console_url: str
) -> None:
    login(driver, console_url, "consultant@console.example")
    driver.get(f"{console_url}/clients/new")
    driver.find_element(By.CSS_SELECTOR, "form.newclient button[type=submit]").click()
    # a click starts the navigation; it does not wait for the next page
    WebDriverWait(driver, 15).until(expected_conditions.url_contains("platform="))
    for field in driver.find_elements(By.CSS_SELECTOR, "form.newclient input:not([type=hidden])"):
        name = field.get_attribute("id")
        assert driver.find_elements(By.CSS_SELECTOR, f"label[for='{name}']"), name
    screenshot(driver, "newclient")
