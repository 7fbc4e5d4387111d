"""End to end on the Exact sandbox with Mollie Payment Links (issue #14): Exact Online gives no
pay link, so the client configures `payments: {provider: mollie}`. Mollie is the Mollie sandbox
on loopback; its paid notifications reach `dunning serve`'s webhook listener (the real `Service`
and `WebhookServer`, in this process).

Two customers, one invoice each, due Monday 5 January 2026, on `nl-b2b-standard` (+7 friendly
reminder, +14 call task, +21 firm reminder, +35 notice of default):
* Jansen's reminder and firm reminder carry the same Mollie link (nothing changed in between);
  Jansen pays through it on the firm reminder's day; the notice of default (+35) does not go
  out; Exact books the payment on +37 and the thank-you follows that day, not before.
* Pietersen pays part in the ledger after the reminder; the firm reminder carries a new link
  for the balance left.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from io import BytesIO

import pytest
import requests
from e2e_exact_support import ExactScenario, MakeExactScenario
from pypdf import PdfReader

from connector import approval
from connector.config import load_config
from connector.serve.scheduler import ServeOptions, Service
from connector.store import pauses, payment_links
from connector.store.db import session_scope
from sandboxes.kit.server import LoopbackServer
from sandboxes.kit.smtp import CaughtMail
from sandboxes.mollie import MollieState, make_app

DUE = date(2026, 1, 5)
KEY = "test_e2emolliekey"
LINK = re.compile(r"Online betalen: (https://payment-links\.mollie\.com/payment/\w+)")


class Mollie:
    def __init__(self, s: ExactScenario) -> None:
        self.state = MollieState(s.world.clock.now, api_keys=(KEY,))
        self.server = LoopbackServer(make_app(self.state)).start()
        self.service = Service(
            s.world.app,
            s.world.clock,
            ServeOptions(listen="127.0.0.1:0", webhook_listen="127.0.0.1:0"),
            env=s.world.env,
        )
        assert self.service.webhooks is not None
        self.service.webhooks.start()
        hook = f"http://{self.service.webhooks.address}/mollie/webhook/demo"
        path = s.world.root / "config" / "clients" / "demo.yaml"
        path.write_text(
            path.read_text()
            + "payments:\n  provider: mollie\n  api_key: ${MOLLIE_API_KEY}\n"
            + f"  api_url: {self.server.url}\n  webhook_url: {hook}\n  pending_days: 20\n"
        )
        s.world.env["MOLLIE_API_KEY"] = KEY
        s.world.app.config = load_config(s.world.root / "config", s.world.env)
        s.world.reload()

    def pay(self, href: str) -> None:
        """The customer clicks the link in the mail and pays on Mollie's page."""
        link = self.state.link_of(href)
        answer = requests.post(f"{self.server.url}/payment/{link.code}", timeout=10)
        assert answer.status_code == 200

    def close(self) -> None:
        assert self.service.webhooks is not None
        self.service.webhooks.stop()
        self.service.health._server.server_close()  # bound, never started
        self.server.stop()


@pytest.fixture
def scenario(make_exact_scenario: MakeExactScenario) -> Iterator[tuple[ExactScenario, Mollie]]:
    s = make_exact_scenario(DUE)
    mollie = Mollie(s)
    yield s, mollie
    mollie.close()


def pdf_links(mail: CaughtMail) -> list[str]:
    """The link targets in the mail's PDFs (the statement, a letter)."""
    targets = []
    for name, data in mail.attachments():
        if name.endswith(".pdf"):
            for page in PdfReader(BytesIO(data)).pages:
                for annot in page.get("/Annots") or []:
                    action = annot.get_object().get("/A")
                    if action is not None and "/URI" in action:
                        targets.append(str(action["/URI"]))
    return targets


def links_in(mails: Sequence[CaughtMail]) -> list[str]:
    return [m for mail in mails for m in LINK.findall(mail.text())]


def test_mollie_links_are_reused_until_a_balance_changes_and_a_paid_link_holds_the_ladder(
    scenario: tuple[ExactScenario, Mollie],
) -> None:
    s, mollie = scenario
    jansen, pietersen = s.customer("Jansen Bouw"), s.customer("Pietersen Installatie")
    jansen_invoice = s.invoice(jansen, "1210.00", DUE, number=2026001)
    pietersen_invoice = s.invoice(pietersen, "800.00", DUE, number=2026002)
    reminder, firm = DUE + timedelta(days=7), DUE + timedelta(days=21)
    booked = DUE + timedelta(days=37)

    def customers_act(day: date) -> None:
        if day == reminder + timedelta(days=3):
            s.pay(pietersen_invoice, "300.00", on=day)  # a bank transfer, booked in Exact
        if day == firm:
            [href] = links_in(s.mails_to(jansen))[-1:]
            mollie.pay(href)

    def ledger_books(day: date) -> None:
        if day == booked:
            s.pay(jansen_invoice, on=day)  # the business books Mollie's payment in Exact

    s.days(reminder, (booked - reminder).days + 1, before_run=ledger_books, after_run=customers_act)

    jansen_mails = s.mails_to(jansen)
    assert [m.day for m in jansen_mails] == [reminder, firm, booked]
    first, second = links_in(jansen_mails[:1]), links_in(jansen_mails[1:2])
    assert first == second and len(first) == 1  # the same link: nothing changed
    assert pdf_links(jansen_mails[0]) == first, "the statement PDF carries it too"
    assert links_in(jansen_mails[2:]) == []  # the thank-you asks for nothing
    assert "bedankt" in jansen_mails[2].text().lower() or "dank" in jansen_mails[2].text().lower()

    pietersen_mails = s.mails_to(pietersen)
    assert [m.day for m in pietersen_mails][:2] == [reminder, firm]
    before, after = links_in(pietersen_mails[:1]), links_in(pietersen_mails[1:2])
    assert len(before) == len(after) == 1 and before != after  # a new link for the new balance
    assert mollie.state.link_of(after[0]).value == "500.00"
    assert mollie.state.link_of(before[0]).value == "800.00"

    [webhook] = mollie.state.webhook_calls
    assert webhook.status == 200
    with session_scope(s.world.app.engine) as session:
        stored = payment_links.links_of(session, "demo")
    assert sorted(x.status for x in stored) == ["open", "open", "paid"]
    notices = [
        a for a in s.world.actions() if a["kind"] == "notice_of_default" and a["status"] == "sent"
    ]
    assert [a["customer_ref"] for a in notices] == [pietersen.id]


def test_no_reminder_goes_out_without_its_link_and_a_crash_never_makes_a_second_link(
    scenario: tuple[ExactScenario, Mollie], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, mollie = scenario
    jansen = s.customer("Jansen Bouw")
    s.invoice(jansen, "1210.00", DUE, number=2026001)
    reminder = DUE + timedelta(days=7)

    mollie.state.outage = True  # Mollie is down on the reminder's day
    s.days(reminder, 1)
    assert s.mails_to(jansen) == []
    assert mollie.state.links == {}

    mollie.state.outage = False
    crashed: list[int] = []
    real_opened = payment_links.opened

    def dies_once(*args: object) -> None:
        if not crashed:  # the run dies after Mollie made the link, before it was stored
            crashed.append(1)
            raise RuntimeError("process killed")
        real_opened(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(payment_links, "opened", dies_once)
    s.days(reminder + timedelta(days=1), 1)
    assert s.mails_to(jansen) == [] and len(mollie.state.links) == 1

    s.days(reminder + timedelta(days=2), 1)
    [mail] = s.mails_to(jansen)
    [href] = links_in([mail])
    assert len(mollie.state.links) == 1  # the same key asked again: Mollie's first link
    assert mollie.state.link_of(href).value == "1210.00"
    keys = [k for k in mollie.state.create_calls if k is not None]
    assert len(keys) >= 2 and len(set(keys)) == 1


def test_a_webhook_call_proves_nothing_only_what_mollie_says_when_asked_counts(
    scenario: tuple[ExactScenario, Mollie],
) -> None:
    s, mollie = scenario
    jansen = s.customer("Jansen Bouw")
    s.invoice(jansen, "1210.00", DUE, number=2026001)
    s.days(DUE + timedelta(days=7), 1)
    [link] = mollie.state.links.values()
    assert mollie.service.webhooks is not None
    base = f"http://{mollie.service.webhooks.address}/mollie/webhook"

    def post(path: str, body: str) -> int:
        return requests.post(
            f"{base}/{path}",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=10,
        ).status_code

    assert post("demo", f"id={link.id}") == 200  # a forged "paid": Mollie says not paid
    assert post("demo", "id=tr_forged1") == 200
    assert post("demo", "id=<script>") == 400
    assert post("other-client", f"id={link.id}") == 404
    mollie.state.outage = True
    assert post("demo", "id=tr_forged2") == 503  # Mollie cannot confirm now: it calls again
    mollie.state.outage = False

    with session_scope(s.world.app.engine) as session:
        assert [x.status for x in payment_links.links_of(session, "demo")] == ["open"]
        assert pauses.live(session, "demo") == ()
    s.days(DUE + timedelta(days=8), 14)  # on to the firm reminder: nothing holds it
    assert [m.day for m in s.mails_to(jansen)] == [
        DUE + timedelta(days=7),
        DUE + timedelta(days=21),
    ]


def test_a_partial_booking_ends_the_hold_and_the_rest_is_dunned_with_a_link_for_it(
    scenario: tuple[ExactScenario, Mollie],
) -> None:
    s, mollie = scenario
    jansen = s.customer("Jansen Bouw")
    owed = s.invoice(jansen, "1210.00", DUE, number=2026001)
    firm, booked = DUE + timedelta(days=21), DUE + timedelta(days=30)

    def customers_act(day: date) -> None:
        if day == firm:
            mollie.pay(links_in(s.mails_to(jansen))[-1])

    dry_run_plans: list[str] = []

    def ledger_books(day: date) -> None:
        if day == booked:  # the business books 1,000.00 of it: 210.00 stays open
            s.pay(owed, "1000.00", on=day)
            # a dry run before the day's run plans as that run will, and ends nothing
            dry = s.world.run("demo", dry_run=True)
            dry_run_plans.extend(a.kind.value for a in dry.planned)
            with session_scope(s.world.app.engine) as session:
                assert len(pauses.live(session, "demo")) == 1

    results = s.days(DUE + timedelta(days=7), 31, before_run=ledger_books, after_run=customers_act)

    assert dry_run_plans == ["call_task"]
    said = [line for r in results for line in r.dispatch.lines if "payment pending" in line]
    assert said == [
        "Jansen Bouw, invoice 2026001: payment pending ended: the ledger booked €1,000.00 of "
        "the €1,210.00 paid online; the remaining €210.00 is reminded again as usual"
    ]
    # the ladder goes on that day from where the hold stopped it, not after the hold's 20
    # days: the call task (+28) the same day, the notice of default its 7 days later, for the
    # 210.00 left and with a new link for exactly that
    calls = [a["planned_for"] for a in s.world.actions() if a["kind"] == "call_task"]
    assert calls == [DUE + timedelta(days=14), booked]
    mails = s.mails_to(jansen)
    assert [m.day for m in mails] == [DUE + timedelta(days=7), firm, booked + timedelta(days=7)]
    [rest] = links_in(mails[-1:])
    assert mollie.state.link_of(rest).value == "210.00"
    assert rest not in links_in(mails[:2])


def test_a_payment_the_ledger_never_books_holds_the_ladder_for_the_pending_days_only(
    scenario: tuple[ExactScenario, Mollie],
) -> None:
    s, mollie = scenario
    jansen = s.customer("Jansen Bouw")
    s.invoice(jansen, "1210.00", DUE, number=2026001)
    firm = DUE + timedelta(days=21)
    released = firm + timedelta(days=21)  # pending_days: 20 after the day Mollie said paid

    def customers_act(day: date) -> None:
        if day == firm:
            mollie.pay(links_in(s.mails_to(jansen))[-1])

    first = DUE + timedelta(days=7)
    results = s.days(first, 43, after_run=customers_act)

    said = {
        first + timedelta(days=n): line
        for n, r in enumerate(results)
        for line in r.dispatch.lines
        if "payment pending" in line
    }
    assert list(said.values()) == [
        "Jansen Bouw, invoice 2026001: payment pending ended: the €1,210.00 paid online is "
        "still not booked in the ledger after 21 days: reminders resume; find the payment in "
        "Mollie and book it"
    ]
    assert list(said) == [released]
    # on from where the hold stopped the ladder: the call task that day, the notice 7 days on
    calls = [a["planned_for"] for a in s.world.actions() if a["kind"] == "call_task"]
    assert calls == [DUE + timedelta(days=14), released]
    notice = released + timedelta(days=7)
    assert [m.day for m in s.mails_to(jansen)] == [DUE + timedelta(days=7), firm, notice]


@pytest.fixture
def with_approval(
    make_exact_scenario: MakeExactScenario,
) -> Iterator[tuple[ExactScenario, Mollie]]:
    s = make_exact_scenario(DUE)
    path = s.world.root / "config" / "clients" / "demo.yaml"
    path.write_text(path.read_text() + "approval:\n  required: true\n")
    mollie = Mollie(s)
    yield s, mollie
    mollie.close()


def test_the_approver_sees_the_mollie_link_the_message_will_carry(
    with_approval: tuple[ExactScenario, Mollie],
) -> None:
    s, mollie = with_approval
    jansen = s.customer("Jansen Bouw")
    s.invoice(jansen, "1210.00", DUE, number=2026001)
    reminder = DUE + timedelta(days=7)
    s.days(reminder, 1)
    app, clock = s.world.app, s.world.clock
    [waiting] = approval.waiting(app, "demo")
    assert s.mails_to(jansen) == []

    # the console's page reaches no platform and no provider: the link is still to be made
    [view] = approval.queue(app, "demo", clock, "nl")
    assert view.pay_links == () and view.link_to_come == "2026001"
    assert mollie.state.links == {}

    shown = approval.show(app, "demo", waiting.id, clock)

    [line] = [x for x in shown if x.startswith("Pay link")]
    numbers, href = line.removeprefix("Pay link ").split(": ", 1)
    assert numbers == "2026001" and mollie.state.link_of(href).value == "1210.00"
    assert f"Online betalen: {href}" in shown, "the message itself carries it"
    assert jansen.id not in "\n".join(shown)
    # the page now shows the link made for the message, in it and beside it
    [view] = approval.queue(app, "demo", clock, "nl")
    assert view.pay_links == (("2026001", href),) and view.link_to_come is None
    assert view.message is not None and href in view.message.text

    approval.approve(app, "demo", clock, [waiting.id])

    [mail] = s.mails_to(jansen)
    assert links_in([mail]) == [href]  # the very link the approver saw, made once
    assert len(mollie.state.links) == 1


def test_when_mollie_cannot_make_the_link_the_approver_is_told_the_message_waits(
    with_approval: tuple[ExactScenario, Mollie],
) -> None:
    s, mollie = with_approval
    jansen = s.customer("Jansen Bouw")
    s.invoice(jansen, "1210.00", DUE, number=2026001)
    s.days(DUE + timedelta(days=7), 1)
    [waiting] = approval.waiting(s.world.app, "demo")
    mollie.state.outage = True

    shown = approval.show(s.world.app, "demo", waiting.id, s.world.clock)

    [line] = [x for x in shown if x.startswith("Pay link")]
    assert line.startswith("Pay link 2026001: Mollie link not made yet (")
    assert line.endswith("): the message waits until one is made")
    assert not any("Online betalen" in x for x in shown)
