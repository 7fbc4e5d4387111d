"""The console in headless Chromium: a person signs in, sees their clients, signs out."""

from __future__ import annotations

from console_browser import login, screenshot, wait_for_htmx
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait


def test_a_consultant_logs_in_sees_both_clients_on_the_overview_and_logs_out(
    driver: WebDriver, console_url: str
) -> None:
    driver.get(console_url)
    assert driver.current_url.endswith("/login")  # not signed in: the login page
    login(driver, console_url, "consultant@console.example")
    assert driver.current_url == f"{console_url}/"
    rows = driver.find_elements(By.CSS_SELECTOR, "table.overview tbody tr")
    names = [r.find_element(By.CSS_SELECTOR, "th[scope=row] a").text for r in rows]
    assert names == [
        "Demo Installatietechniek B.V. (acme)",
        "Demo Installatietechniek B.V. (bakker)",
    ]
    wait_for_htmx(driver)
    first = rows[0].text
    assert "connected" in first and "€" in first  # this consultant reads English
    assert "steps" in first  # the coming week, filled in by htmx
    screenshot(driver, "overview")

    driver.find_element(By.CSS_SELECTOR, "header form[action='/logout'] button").click()
    # a click starts the navigation; it does not wait for the next page
    WebDriverWait(driver, 15).until(expected_conditions.url_matches(r"/login$"))
    driver.get(console_url)
    assert driver.current_url.endswith("/login")  # the session really ended


def test_the_login_page_has_labels_and_works_with_the_keyboard(
    driver: WebDriver, console_url: str
) -> None:
    driver.get(f"{console_url}/login")
    screenshot(driver, "login")
    email = driver.find_element(By.ID, "email")
    assert driver.switch_to.active_element == email  # the cursor starts in the first field
    label = driver.find_element(By.CSS_SELECTOR, "label[for=email]")
    assert label.text == "E-mailadres"
    email.send_keys("acme@console.example")
    driver.find_element(By.ID, "password").send_keys("correct horse battery staple\n")
    assert driver.current_url == f"{console_url}/"
    assert "acme@console.example" in driver.find_element(By.CSS_SELECTOR, "header").text
