"""The console in a real browser (the fixtures of tests/system/console/conftest.py):
`dunning console` in a subprocess over two sandbox clients, driven by Selenium through
Debian's chromedriver and headless Chromium.

* `console_world` (session): the Zoho sandbox on loopback with clients `acme` and `bakker`, each
  with the demo's ledger and three weeks of daily runs behind it (reminders sent, payments
  made), and the console users of tests/support/console_support.py (password `PASSWORD`).
* `console_url` (session): the base URL of `dunning console --now <the world's day> --simulate`
  over that installation; the process ends with the session. Its output is in
  `console_log` (a file), which the security tests read for secrets.
* `driver` (session): one headless Chromium; each test gets it with no cookies (signed out).
* `login(driver, base_url, email)` signs in through the form; `screenshot(driver, name)` saves
  `artifacts/screenshots/<name>.png` at the repository's root (the directory is gitignored; the
  README names the files).

The sandbox keeps running in this process, so pages that call the platform (run now, connect,
approve) reach it, and a test can look at what it received (`console_world.state`).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from console_support import PASSWORD, add_users
from repo import REPO
from selenium import webdriver
from selenium.common.exceptions import (
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from sandboxes.world import local_moment
from sandboxes.zoho.world import ZohoWorld

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = REPO / "artifacts" / "screenshots"
#: the sandbox's first day; the console runs as of the morning after the last simulated day
START = date(2026, 1, 5)
DAYS = 21
CLIENTS = ("acme", "bakker")


@dataclass
class ConsoleProcess:
    url: str
    now: datetime
    log: Path
    proc: subprocess.Popen[str]


def _need(path: Path, package: str) -> None:
    if not path.exists():
        pytest.fail(f"{path} is missing: install Debian's {package} (.ci/run does)")


@pytest.fixture(scope="session")
def console_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZohoWorld]:
    root = tmp_path_factory.mktemp("console-world")
    with ZohoWorld.open(root, start=local_moment(START, 8), seed=7, slugs=CLIENTS) as world:
        for n in range(DAYS):
            day = START + timedelta(days=n)
            for slug in CLIENTS:
                run = world.run(slug, at=local_moment(day, 9))
                assert run.ok, run.error
            world.clock.set(local_moment(day, 12))
        add_users(world.app, world.clock.now())
        yield world


@pytest.fixture(scope="session")
def console_process(
    console_world: ZohoWorld, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ConsoleProcess]:
    now = local_moment(START + timedelta(days=DAYS), 10)
    log = tmp_path_factory.mktemp("console-log") / "console.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    env.update(console_world.env)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "connector.cli",
                "--config",
                str(console_world.app.config_dir),
                "console",
                "--listen",
                "127.0.0.1:0",
                "--now",
                now.isoformat(),
                "--simulate",
            ],
            stdout=subprocess.PIPE,
            stderr=out,
            env=env,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"http://[\d.]+:\d+", first)
        if not found:
            proc.kill()
            pytest.fail(f"dunning console did not start: {first!r} {log.read_text()}")
        try:
            yield ConsoleProcess(found.group(0), now, log, proc)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            out.write(proc.stdout.read())
            proc.stdout.close()


@pytest.fixture(scope="session")
def console_url(console_process: ConsoleProcess) -> str:
    return console_process.url


@pytest.fixture(scope="session")
def console_log(console_process: ConsoleProcess) -> Path:
    return console_process.log


@pytest.fixture(scope="session")
def _browser() -> Iterator[WebDriver]:
    _need(CHROMIUM, "chromium")
    _need(CHROMEDRIVER, "chromium-driver")
    options = Options()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
        "--lang=nl-NL",
    ):
        options.add_argument(arg)
    # Debian's chromedriver, never one Selenium Manager would download
    browser = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    browser.set_page_load_timeout(30)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def driver(_browser: WebDriver, console_url: str) -> WebDriver:
    """The browser, signed out (no cookies of an earlier test)."""
    _browser.get(f"{console_url}/login")
    _browser.delete_all_cookies()
    return _browser


def login(driver: WebDriver, base_url: str, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login form, as a person does (typing, then pressing the button)."""
    driver.get(f"{base_url}/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form.login button[type=submit]").click()
    try:
        WebDriverWait(driver, 15).until(expected_conditions.url_changes(f"{base_url}/login"))
    except TimeoutException as exc:
        text = driver.find_element(By.TAG_NAME, "body").text
        raise AssertionError(f"still on {driver.current_url} after signing in: {text!r}") from exc


def screenshot(driver: WebDriver, name: str) -> Path:
    """Save the whole page as artifacts/screenshots/<name>.png (the README lists them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1400, max(1000, min(int(height) + 120, 6000)))
    driver.save_screenshot(str(path))
    driver.set_window_size(1400, 1000)
    return path


def wait_for_htmx(driver: WebDriver, timeout: float = 15) -> None:
    """Until the cells htmx fills when they come into view are filled (their placeholders,
    which carry hx-trigger="revealed", are swapped out) and no request is in flight."""
    WebDriverWait(driver, timeout).until(
        lambda d: bool(
            d.execute_script(
                "return !document.querySelector('[hx-trigger=revealed]') && "
                "!document.querySelector('.htmx-request')"
            )
        )
    )


def wait_until_gone(driver: WebDriver, element: WebElement, timeout: float = 30) -> None:
    """Until `element` has left the page (the form was sent and the next page came).

    Selenium's `staleness_of` asks the element whether it is enabled; when the page is
    replaced in the middle of that question, chromedriver answers "Node with given id does not
    belong to the document" as an unknown error instead of a stale element: that is gone too."""

    def gone(_driver: WebDriver) -> bool:
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    WebDriverWait(driver, timeout).until(gone)
