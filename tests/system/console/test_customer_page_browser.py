"""The customer's own page in headless Chromium, over the Zoho sandbox with three weeks of runs
behind it. A customer the coming week would remind opens their link, on a phone-sized window and
(another customer) on a desktop one, promises to pay in a week and disputes one invoice with a
reason; the page answers both, the consultant's customer page shows both pauses in force, and the
business's preview no longer shows the customer; the page names no other customer. A guessed
token and the customer's own expired one show nothing. Two other
customers (phone, desktop) propose a payment plan (the schedule first, then confirmed), the
consultant approves it on the customer's page, and the customer's page says it is agreed.
Screenshots:
artifacts/screenshots/customer-page-{phone,desktop}.png (as opened),
customer-page-answered-{phone,desktop}.png (after both actions), customer-paused-by-page.png
(the consultant's view) and customer-page-plan-proposed-{phone,desktop}.png."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from console_browser import SCREENSHOTS, ConsoleProcess, login, wait_until_gone
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from connector.store import ledger_repo, page_tokens
from connector.store.db import session_scope
from sandboxes.zoho.world import ZohoWorld

PHONE = (390, 844)
DESKTOP = (1400, 1000)
SIZES = {"phone": PHONE, "desktop": DESKTOP}
REASON = "De levering van 12 januari is nooit aangekomen"


def shot(driver: WebDriver, name: str, width: int) -> Path:
    """The whole page at `width` pixels wide, as artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, max(700, min(int(height) + 140, 6000)))
    path = SCREENSHOTS / f"{name}.png"
    driver.save_screenshot(str(path))
    return path


def preview_names(driver: WebDriver, url: str) -> list[str]:
    driver.get(url)
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "main article p a")]


def submit(driver: WebDriver, form: str) -> None:
    """Press the form's button as a person would, and wait for the page it leads to."""
    button = driver.find_element(By.CSS_SELECTOR, f"{form} button")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    wait_until_gone(driver, button)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_customer_promises_and_disputes_on_their_page_and_the_consultant_sees_both(
    driver: WebDriver,
    console_url: str,
    console_process: ConsoleProcess,
    console_world: ZohoWorld,
    size: str,
) -> None:
    width, height = SIZES[size]
    login(driver, console_url, "acme@console.example")
    preview = f"{console_url}/clients/acme/preview"
    names = preview_names(driver, preview)
    assert names, "the coming week reminds someone (not yet paused by an earlier test)"
    name = names[-1]
    now = console_process.now
    with session_scope(console_world.app.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, "acme")
        [ref] = [c.ref for c in snapshot.customers.values() if name in (c.name, c.company_name)]
        token = page_tokens.issue(session, "acme", ref, now=now)
        others = [c.name for c in snapshot.customers.values() if c.ref != ref]
        # a link that was valid for a day, a month ago
        expired = page_tokens.issue(session, "acme", ref, now=now - timedelta(days=30), days=1)
    driver.delete_all_cookies()  # the customer is nobody signed in

    driver.set_window_size(width, height)
    driver.get(f"{console_url}/p/{token}")
    main = driver.find_element(By.TAG_NAME, "main").text
    assert "Openstaande facturen van" in main and name in main
    assert not [other for other in others if other in main], "nothing of another customer"
    assert driver.find_elements(By.CSS_SELECTOR, "li.invoice")
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    shot(driver, f"customer-page-{size}", width)
    driver.set_window_size(width, height)

    day = console_world.app.today("acme", now) + timedelta(days=7)
    field = driver.find_element(By.ID, "promise-day")
    driver.execute_script("arguments[0].value = arguments[1]", field, day.isoformat())
    submit(driver, "form[action$='/promise']")
    confirmed = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=promise-h]").text
    assert "Dank u wel voor uw betaalbelofte" in confirmed

    choice = Select(driver.find_element(By.ID, "dispute-invoice"))
    number = choice.options[0].get_attribute("value")
    assert number
    choice.select_by_value(number)
    driver.find_element(By.ID, "dispute-reason").send_keys(REASON)
    submit(driver, "form[action$='/dispute']")
    answer = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=dispute-h]").text
    assert f"U betwist factuur {number}." in answer
    assert "Dank u wel voor uw betaalbelofte" in driver.find_element(By.TAG_NAME, "main").text
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    shot(driver, f"customer-page-answered-{size}", width)
    driver.set_window_size(*DESKTOP)

    if size == "phone":  # a guessed token and the customer's own expired one show nothing
        for wrong in ("A" * 43, expired):
            driver.get(f"{console_url}/p/{wrong}")
            text = driver.find_element(By.TAG_NAME, "main").text
            assert "Deze link is niet geldig" in text and name not in text

    login(driver, console_url, "acme@console.example")
    driver.get(f"{console_url}/clients/acme/customers/{ref}")
    held = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=pauses]")
    rows = held.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == 2, held.text
    [disputed] = [r for r in rows if REASON in r.text]
    assert number in disputed.text
    [promised] = [r for r in rows if r is not disputed]
    assert f"to pay on {day.isoformat()}" in promised.text, promised.text
    if size == "desktop":
        shot(driver, "customer-paused-by-page", DESKTOP[0])
        driver.set_window_size(*DESKTOP)
    assert name not in preview_names(driver, preview)


@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_a_customer_proposes_a_payment_plan_and_the_consultant_approves_it(
    driver: WebDriver,
    console_url: str,
    console_process: ConsoleProcess,
    console_world: ZohoWorld,
    size: str,
) -> None:
    login(driver, console_url, "acme@console.example")
    preview = f"{console_url}/clients/acme/preview"
    names = preview_names(driver, preview)
    assert names, "the coming week reminds someone (not yet paused by an earlier test)"
    name = names[0]
    now = console_process.now
    with session_scope(console_world.app.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, "acme")
        [ref] = [c.ref for c in snapshot.customers.values() if name in (c.name, c.company_name)]
        token = page_tokens.issue(session, "acme", ref, now=now)
    driver.delete_all_cookies()
    width, height = SIZES[size]
    driver.set_window_size(width, height)
    driver.get(f"{console_url}/p/{token}")

    Select(driver.find_element(By.ID, "plan-count")).select_by_value("3")
    Select(driver.find_element(By.ID, "plan-every")).select_by_value("month")
    submit(driver, "form[action$='/plan']")
    section = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=plan-h]")
    assert "Uw voorstel: 3 termijnen" in section.text
    assert len(section.find_elements(By.CSS_SELECTOR, "ol.instalments li")) == 3
    submit(driver, "form[action$='/plan']")
    section = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=plan-h]")
    assert "Wij bekijken uw voorstel voor een betalingsregeling" in section.text
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    shot(driver, f"customer-page-plan-proposed-{size}", width)
    driver.set_window_size(*DESKTOP)

    login(driver, console_url, "acme@console.example")
    driver.get(f"{console_url}/clients/acme/customers/{ref}")
    submit(driver, "form[action$='/approve']")
    plans = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=plans]").text
    assert "3 instalments" in plans and "Decided by acme@console.example" in plans, plans
    assert name not in preview_names(driver, preview)

    driver.delete_all_cookies()
    driver.get(f"{console_url}/p/{token}")
    answer = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=plan-h]").text
    assert "Uw betalingsregeling is afgesproken" in answer
