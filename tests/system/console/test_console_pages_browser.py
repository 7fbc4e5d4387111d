"""The client, customer, approvals and preview pages in headless Chromium, over the Zoho
sandbox with three weeks of runs behind it: a person finds a customer by name and pauses it,
and the preview no longer shows that customer; an owner approves one action and rejects
another, and the sandbox sends exactly one mail. Each page is saved as a screenshot."""

from __future__ import annotations

import dataclasses
import re

from console_browser import ConsoleProcess, login, screenshot, wait_until_gone
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from connector.dispatch import Dispatcher
from connector.domain.clock import ManualClock
from connector.run import plan_tenant
from connector.store import ledger_repo
from connector.store.db import session_scope
from sandboxes.zoho.world import ZohoWorld

#: names and words a page must never show (internal ids, enum values)
INTERNAL = re.compile(
    r"\b(call_task|firm_reminder|notice_of_default|thank_you|pre_due_notice|ledger_mail|"
    r"PauseKind|ActionKind|None)\b"
)


def preview_names(driver: WebDriver, url: str) -> list[str]:
    driver.get(url)
    return [a.text for a in driver.find_elements(By.CSS_SELECTOR, "main article p a")]


def test_a_customer_found_by_name_is_paused_and_leaves_the_preview(
    driver: WebDriver, console_url: str
) -> None:
    login(driver, console_url, "acme@console.example")
    preview = f"{console_url}/clients/acme/preview"
    before = preview_names(driver, preview)
    assert before, "the coming week sends something"
    assert not INTERNAL.search(driver.find_element(By.TAG_NAME, "main").text)
    screenshot(driver, "preview")
    name = before[0]

    driver.get(f"{console_url}/clients/acme")
    assert not INTERNAL.search(driver.find_element(By.TAG_NAME, "main").text)
    screenshot(driver, "client")
    search = driver.find_element(By.ID, "q")
    search.send_keys(name.split()[-1])  # part of the name, as a person types it
    search.submit()
    wait_until_gone(driver, search)
    found = driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=customers] tbody th a")
    assert name in [a.text for a in found]
    driver.find_element(By.LINK_TEXT, name).click()
    WebDriverWait(driver, 30).until(
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), name)
    )

    driver.find_element(By.ID, "stop-reason").send_keys("in talks about a settlement")
    stop = driver.find_element(By.CSS_SELECTOR, "form[aria-labelledby=stop-h] button")
    stop.click()
    wait_until_gone(driver, stop)
    holds = driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=pauses] table").text
    assert "in talks about a settlement" in holds and "acme@console.example" in holds
    assert not INTERNAL.search(driver.find_element(By.TAG_NAME, "main").text)
    screenshot(driver, "customer")

    after = preview_names(driver, preview)
    assert name not in after
    assert [n for n in before if n != name] == after


def waiting_for_approval(
    world: ZohoWorld, console: ConsoleProcess, slug: str
) -> list[tuple[str, str]]:
    """Two of the client's mails due now left waiting for approval, as a run of a client with
    `approval: required` leaves them; the customers' (platform id, name)."""
    clock = ManualClock(console.now)
    tenant = world.app.tenant(slug, clock)
    mails = [a for a in plan_tenant(tenant, console.now) if a.kind.is_mail]
    chosen = list({a.customer_ref: a for a in mails}.values())[:2]
    assert len(chosen) == 2, "two customers are due a mail"
    settings = dataclasses.replace(tenant.dispatch_settings, approval_required=True)
    dispatcher = Dispatcher(
        tenant.engine, tenant.ledger, tenant.renderer, settings, clock, owner="t", run_id="t"
    )
    assert dispatcher.dispatch(chosen).awaiting_approval == 2
    with session_scope(world.app.engine) as session:
        customers = ledger_repo.load_snapshot(
            session, slug, customer_refs=[a.customer_ref for a in chosen]
        ).customers
    return [(a.customer_ref, customers[a.customer_ref].name) for a in chosen]


def test_an_owner_approves_one_action_and_rejects_another_and_one_mail_goes_out(
    driver: WebDriver,
    console_url: str,
    console_world: ZohoWorld,
    console_process: ConsoleProcess,
) -> None:
    (first_ref, first), (_second_ref, second) = waiting_for_approval(
        console_world, console_process, "bakker"
    )
    org = console_world.organization("bakker")
    sent_before = [m for m in console_world.state.sent_mails if m.organization_id == org]

    login(driver, console_url, "bakker@console.example")
    driver.get(f"{console_url}/clients/bakker/approvals")
    items = driver.find_elements(By.CSS_SELECTOR, "article.approval")
    assert [i.find_element(By.TAG_NAME, "h2").text.split(" — ")[-1] for i in items] == [
        first,
        second,
    ]
    assert "€" in items[0].text and first in items[0].find_element(By.TAG_NAME, "pre").text
    assert not INTERNAL.search(driver.find_element(By.TAG_NAME, "main").text)
    screenshot(driver, "approvals")

    items[0].find_element(By.CSS_SELECTOR, "form[action$='/approve'] button").click()
    wait_until_gone(driver, items[0])
    assert "carried out" in driver.find_element(By.CSS_SELECTOR, "[role=status]").text
    (left,) = driver.find_elements(By.CSS_SELECTOR, "article.approval")
    left.find_element(By.CSS_SELECTOR, "input[name=reason]").send_keys("pays on Friday")
    left.find_element(By.CSS_SELECTOR, "form[action$='/reject'] button").click()
    wait_until_gone(driver, left)
    assert "Nothing is waiting for approval." in driver.find_element(By.TAG_NAME, "main").text

    sent = [m for m in console_world.state.sent_mails if m.organization_id == org]
    (new,) = sent[len(sent_before) :]  # exactly one mail: the approved one
    assert new.contact_id == first_ref
