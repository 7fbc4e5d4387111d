"""End to end on the Exact sandbox: the connector mails reminders over real SMTP (aiosmtpd on
loopback) and records each step in Exact, through simulated weeks.

Same scenarios as the Zoho slice (tests/e2e/zoho/test_e2e_zoho_dunning.py; the two that read the
same on both platforms are in tests/e2e/test_e2e_both_platforms.py); mails are checked on the
SMTP server, notes/documents/tasks in the sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from e2e_exact_support import MakeExactScenario

from connector.domain import Invoice
from connector.domain.ports import RenderedMessage
from connector.render.mail import MessageContext
from connector.store import ledger_repo
from connector.store.db import session_scope

MONDAY = date(2026, 1, 5)


def test_an_on_time_payer_gets_no_mail_in_six_weeks(make_exact_scenario: MakeExactScenario) -> None:
    s = make_exact_scenario(MONDAY)
    punctual = s.customer("Punctueel BV")
    inv = s.invoice(punctual, "1210.00", MONDAY + timedelta(days=10))
    s.days(
        MONDAY,
        42,
        after_run=lambda d: s.pay(inv, on=d) if d == MONDAY + timedelta(days=9) else None,
    )
    assert s.mails_to(punctual) == []
    assert s.world.actions() == []
    assert s.world.written()["notes"] == []


def test_a_late_payer_who_pays_after_the_first_reminder_gets_nothing_more_but_thanks(
    make_exact_scenario: MakeExactScenario,
) -> None:
    s = make_exact_scenario(MONDAY)
    late = s.customer("Laat Betaler BV")
    due = MONDAY + timedelta(days=3)
    inv = s.invoice(late, "500.00", due, number=2026001)
    paid_on = due + timedelta(days=9)
    s.days(MONDAY, 21, after_run=lambda d: s.pay(inv, on=d) if d == paid_on else None)
    assert s.mail_days(late) == [due + timedelta(days=7), date(2026, 1, 19)]
    assert [a["kind"] for a in s.world.actions()] == ["reminder", "thank_you"]
    reminder = s.mails_to(late)[0]
    assert reminder.message.is_multipart()
    types = {p.get_content_type() for p in reminder.message.walk()}
    assert {"text/plain", "text/html"} <= types, types
    assert reminder.mail_from == "debiteuren@demo-installatie.example"
    notes = s.world.written()["notes"]
    assert len(notes) == 2 and all(n["Account"] == late.id for n in notes)
    assert all("[dunning:" in n["Notes"] for n in notes)


def test_a_partially_paid_invoice_is_reminded_for_its_balance(
    make_exact_scenario: MakeExactScenario,
) -> None:
    s = make_exact_scenario(MONDAY)
    partial = s.customer("Deels Betaald BV")
    inv = s.invoice(partial, "1000.00", MONDAY, number=2026002)
    s.pay(inv, "400.00", on=MONDAY + timedelta(days=2))
    s.days(MONDAY, 8)
    [mail] = s.mails_to(partial)
    assert "600,00" in mail.text(), "the reminder does not state the remaining balance"
    [action] = s.world.actions()
    assert action["status"] == "sent"


def test_a_payment_arriving_the_morning_of_the_reminder_stops_it(
    make_exact_scenario: MakeExactScenario,
) -> None:
    s = make_exact_scenario(MONDAY)
    morning = s.customer("Ochtend Betaler BV")
    inv = s.invoice(morning, "250.00", MONDAY)
    reminder_day = MONDAY + timedelta(days=7)
    s.days(MONDAY, 20, before_run=lambda d: s.pay(inv, on=d) if d == reminder_day else None)
    assert [m for m in s.mails_to(morning) if "herinnering" in m.subject.lower()] == []


def test_a_payment_landing_between_planning_and_sending_cancels_the_mail(
    make_exact_scenario: MakeExactScenario,
) -> None:
    s = make_exact_scenario(MONDAY)
    racer = s.customer("Net Op Tijd BV")
    inv = s.invoice(racer, "250.00", MONDAY - timedelta(days=7))
    ledger = s.world.tenant().ledger
    original = ledger.recheck_customer
    paid: list[bool] = []

    def recheck(customer_ref: str, since: datetime | None) -> list[Invoice]:
        if not paid:
            s.pay(inv, on=MONDAY)
            paid.append(True)
        return original(customer_ref, since)

    ledger.recheck_customer = recheck  # type: ignore[method-assign]
    [result] = s.days(MONDAY, 1)
    assert result.dispatch.cancelled == 1 and result.dispatch.sent == 0
    assert s.mails_to(racer) == []


def test_steps_falling_on_a_weekend_or_holiday_move_to_the_next_business_day(
    make_exact_scenario: MakeExactScenario,
) -> None:
    start = date(2026, 3, 23)
    s = make_exact_scenario(start)
    weekend = s.customer("Weekend BV")
    holiday = s.customer("Paasmaandag BV")
    s.invoice(weekend, "100.00", date(2026, 3, 21))  # +7 = Saturday 28 March
    s.invoice(holiday, "100.00", date(2026, 3, 30))  # +7 = Easter Monday 6 April
    s.days(start, 20)
    assert s.mail_days(weekend)[0] == date(2026, 3, 30)
    assert s.mail_days(holiday)[0] == date(2026, 4, 7)


def test_invoices_of_one_customer_due_the_same_day_go_out_as_one_mail(
    make_exact_scenario: MakeExactScenario,
) -> None:
    s = make_exact_scenario(MONDAY)
    many = s.customer("Veel Facturen BV")
    a = s.invoice(many, "100.00", MONDAY, number=2026101)
    b = s.invoice(many, "200.00", MONDAY, number=2026102)
    s.days(MONDAY, 8)
    [mail] = s.mails_to(many)
    assert "2026101" in mail.text() and "2026102" in mail.text()
    [action] = s.world.actions()
    assert sorted(ref for ref, _ in action["items"]) == sorted([a.id, b.id])
    [note] = s.world.written()["notes"]
    assert "2026101" in note["Notes"] and "2026102" in note["Notes"]


def test_the_full_ladder_for_a_customer_who_never_pays(
    make_exact_scenario: MakeExactScenario,
) -> None:
    s = make_exact_scenario(MONDAY)
    never = s.customer("Wanbetaler BV")
    due = date(2026, 1, 8)
    s.invoice(never, "3000.00", due)
    s.days(MONDAY, 54)
    sent = [(a["kind"], a["done_at"].date()) for a in s.world.actions() if a["status"] == "sent"]
    assert [k for k, _ in sent] == [
        "reminder",
        "call_task",
        "firm_reminder",
        "call_task",
        "notice_of_default",
        "handoff",
    ]
    assert len(s.mails_to(never)) == 3
    written = s.world.written()
    assert len(written["tasks"]) == 2 and all(t["TaskType"] == 1 for t in written["tasks"])
    assert len(written["notes"]) == 4  # three mails and the hand-off
    with session_scope(s.world.app.engine) as session:
        assert ledger_repo.handed_off_customers(session, "demo") == {never.id}


def test_attachments_of_a_step_are_mailed_and_stored_as_documents_in_exact(
    make_exact_scenario: MakeExactScenario,
) -> None:
    s = make_exact_scenario(MONDAY)
    c = s.customer("Bijlage BV")
    s.invoice(c, "100.00", MONDAY - timedelta(days=7))
    renderer = s.world.tenant().renderer
    original = renderer.render
    pdf = b"%PDF-1.4 herinnering"

    def render(template: str, ctx: MessageContext, to: Sequence[str]) -> RenderedMessage:
        msg = original(template, ctx, to)
        return RenderedMessage(
            msg.subject,
            msg.html,
            msg.text,
            msg.to,
            msg.cc,
            (("herinnering.pdf", pdf, "application/pdf"),),
            msg.note,
        )

    renderer.render = render  # type: ignore[method-assign]
    s.days(MONDAY, 1)
    [mail] = s.mails_to(c)
    # the step has with_statement: the connector adds the statement PDF itself (issue #4)
    assert [name for name, _ in mail.attachments()] == [
        "herinnering.pdf",
        "statement-2026-01-05.pdf",
    ]
    assert mail.attachments()[0] == ("herinnering.pdf", pdf)
    doc = s.world.written()["documents"][0]  # one document per attachment
    attachment = doc["Attachments"][0]
    assert s.state.attachment_bytes(s.division, attachment["ID"]) == pdf
    assert doc["Account"] == c.id


def test_an_expired_access_token_mid_run_is_refreshed_with_rotation_and_the_run_completes(
    make_exact_scenario: MakeExactScenario,
) -> None:
    s = make_exact_scenario(MONDAY)
    customers = [s.customer(f"Klant {n} BV") for n in range(3)]
    for c in customers:
        s.invoice(c, "100.00", MONDAY - timedelta(days=7))
    s.world.clock.set(s.world.clock.now().replace(hour=8))
    before = s.world.app.tokens.get("demo")
    moved: list[bool] = []

    def ten_minutes_pass(action_id: int, result: object) -> None:
        if not moved:  # the run is slow: the access token dies between two customers
            s.world.clock.advance(timedelta(seconds=601))
            moved.append(True)

    result = s.world.run("demo", dispatcher_hook=ten_minutes_pass)
    assert result.ok, result.error
    assert result.dispatch.sent == 3
    after = s.world.app.tokens.get("demo")
    assert before is not None and after is not None
    assert after.version >= before.version + 2, "the access token was not refreshed mid-run"
    assert after.refresh_token != before.refresh_token, "Exact refresh tokens rotate"
    assert s.state.stats.token_errors == {}, "a refresh was refused (too early or spent)"


def test_429_bursts_and_a_500_on_a_page_are_retried_and_the_sync_completes(
    make_exact_scenario: MakeExactScenario,
) -> None:
    from sandboxes.kit.faults import Fault
    from sandboxes.kit.router import Response

    s = make_exact_scenario(MONDAY)
    c = s.customer("Groot BV")
    for n in range(2100):  # three pages of receivables
        s.invoice(c, "10.00", MONDAY + timedelta(days=30 + n % 20))
    headers = s.state.peek_rate("x", 0)
    busy = Response.json(
        {"error": {"code": "", "message": {"lang": "", "value": "API rate limit exceeded."}}},
        429,
        {k: v for k, v in headers.items() if "Minutely" in k},
    )
    path = r"/sync/Cashflow/PaymentTerms$"
    s.world.router.faults.add(Fault("GET", path, busy, times=3))
    boom = Response.json({"error": {"code": "", "message": {"lang": "", "value": "Oops"}}}, 500)
    s.world.router.faults.add(Fault("GET", path, boom, times=1, skip=1))
    [result] = s.days(MONDAY, 1)
    assert result.sync is not None and result.sync.invoices == 2100
    fired = [status for _, _, status in s.world.router.faults.fired]
    assert fired == [429, 429, 429, 500]


def test_the_notice_of_default_letter_is_addressed_to_the_postal_address_in_exact(
    make_exact_scenario: MakeExactScenario,
) -> None:
    from io import BytesIO

    from pypdf import PdfReader

    s = make_exact_scenario(MONDAY)
    never = s.state.add_account(
        s.division,
        "Adres Wanbetaler BV",
        email="ap@adres.example",
        address_line1="Havenkade 12",
        postcode="3011 AB",
        city="Rotterdam",
        country="NL",
    )
    s.invoice(never, "3000.00", date(2026, 1, 8))
    s.days(MONDAY, 54)
    letters = [
        data
        for mail in s.mails_to(never)
        for name, data in mail.attachments()
        if name.startswith("notice_of_default")
    ]
    assert len(letters) == 1, "no notice of default letter was attached"
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(letters[0])).pages)
    assert "Havenkade 12" in text and "3011 AB Rotterdam" in text, text[:400]
