"""The customer's own page in headless Chromium, over the Zoho sandbox with three weeks of runs
behind it: a customer the coming week would remind opens their link at phone size and at desktop
size (screenshots artifacts/screenshots/customer-page-*.png), promises to pay in a week, and the
business's preview no longer shows them; a guessed token shows nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from console_browser import SCREENSHOTS, ConsoleProcess, login
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from connector.store import ledger_repo, page_tokens
from connector.store.db import session_scope
from sandboxes.zoho.world import ZohoWorld

PHONE = (390, 844)
DESKTOP = (1400, 1000)


def shot(driver: WebDriver, name: str, width: int) -> Path:
    """The whole page at `width` pixels wide, as artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(700, min(int(height) + 140, 6000)))
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    driver.set_window_size(*DESKTOP)
    return path


def preview_names(driver: WebDriver, url: str) -> list[str]:
    driver.get(url)
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "main article p a")]


def test_a_customer_promises_on_their_page_and_leaves_the_preview(
    driver: WebDriver,
    console_url: str,
    console_process: ConsoleProcess,
    console_world: ZohoWorld,
) -> None:
    login(driver, console_url, "acme@console.example")
    preview = f"{console_url}/clients/acme/preview"
    names = preview_names(driver, preview)
    assert names, "the coming week reminds someone"
    name = names[-1]
    now = console_process.now
    with session_scope(console_world.app.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, "acme")
        [ref] = [c.ref for c in snapshot.customers.values() if name in (c.name, c.company_name)]
        token = page_tokens.issue(session, "acme", ref, now=now)
    driver.delete_all_cookies()  # the customer is nobody signed in

    driver.get(f"{console_url}/p/{token}")
    main = driver.find_element(By.TAG_NAME, "main").text
    assert "Openstaande facturen van" in main and name in main
    assert driver.find_elements(By.CSS_SELECTOR, "li.invoice")
    width = driver.execute_script("return document.documentElement.scrollWidth")
    driver.set_window_size(*PHONE)
    assert driver.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    shot(driver, "customer-page-phone", PHONE[0])
    shot(driver, "customer-page-desktop", DESKTOP[0])
    assert width <= DESKTOP[0]

    day = console_world.app.today("acme", now) + timedelta(days=7)
    field = driver.find_element(By.ID, "promise-day")
    driver.execute_script("arguments[0].value = arguments[1]", field, day.isoformat())
    button = driver.find_element(By.CSS_SELECTOR, "form[action$='/promise'] button")
    button.click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(button))
    confirmed = driver.find_element(By.CSS_SELECTOR, ".confirmed").text
    assert "Dank u wel voor uw betaalbelofte" in confirmed
    driver.set_window_size(*PHONE)
    shot(driver, "customer-page-promised-phone", PHONE[0])

    driver.get(f"{console_url}/p/{'A' * 43}")
    text = driver.find_element(By.TAG_NAME, "main").text
    assert "Deze link is niet geldig" in text and name not in text

    login(driver, console_url, "acme@console.example")
    assert name not in preview_names(driver, preview)
