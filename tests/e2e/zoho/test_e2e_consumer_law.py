"""Consumer law by default (issue #16): with the configuration `dunning init` writes (no consumer
ladder named, `policies: {}`), a customer the ledger marks as an individual never gets a notice
of default, collection costs or commercial interest before a fourteen-day letter; and every
reminder, statement and letter of the run says where to pay.

The sandbox is Zoho Books: the consumer is ``customer_sub_type: individual``, which Zoho shows on
the contact's detail only (not in the list the sync reads).
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from e2e_support import MakeScenario

DUE = date(2026, 1, 5)
ZONE = ZoneInfo("Europe/Amsterdam")
IBAN = "NL91 ABNA 0417 1643 00"
BEFORE_LETTER_FORBIDDEN = (
    "ingebrekestelling",
    "in gebreke",
    "incassokosten",
    "handelsrente",
    "notice of default",
    "collection costs",
    "commercial",
)


def plain(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace("\xa0", " ")


def test_a_consumer_under_the_default_config_gets_a_fourteen_day_letter_before_anything_costly(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(DUE)
    jan = s.state.add_contact(
        s.org,
        "Jan Jansen",
        email="jan@example.nl",
        first_name="Jan",
        sub_type="individual",
        created=s.world.clock.now(),
    )
    firm = s.customer("Groothandel BV")
    first = s.invoice(jan, "300.00", DUE, number="INV-000101")
    second = s.invoice(jan, "180.00", DUE, number="INV-000102")
    s.invoice(firm, "2420.00", DUE, number="INV-000103")

    s.days(DUE, 90)

    done = [
        (a["done_at"].astimezone(ZONE).date(), a["kind"])
        for a in s.world.actions()
        if a["status"] == "sent" and a["customer_ref"] == jan.contact_id
    ]
    kinds = [k for _, k in done]
    assert "fourteen_day_letter" in kinds, done
    letter_at = kinds.index("fourteen_day_letter")
    assert not {"notice_of_default", "handoff"} & set(kinds[:letter_at]), done
    # the consumer ladder is the built-in nl-b2c-wik: the hand-off waits for the letter's term
    assert kinds[-1] == "handoff"
    letter_day = done[letter_at][0]
    assert (done[-1][0] - letter_day).days >= 14

    mails = sorted(s.state.mails(None, jan.contact_id), key=lambda m: m.at)
    assert mails
    for mail in mails:
        text = plain(mail.body)
        if s.state.data(s.org).today(mail.at) < letter_day:
            found = [w for w in BEFORE_LETTER_FORBIDDEN if w in text.lower()]
            assert found == [], f"{mail.subject!r} before the fourteen-day letter: {found}"
        assert "handelsrente" not in text and "commercial" not in text.lower()
    # the business keeps the business ladder
    firm_kinds = [
        a["kind"]
        for a in s.world.actions()
        if a["status"] == "sent" and a["customer_ref"] == firm.contact_id
    ]
    assert "notice_of_default" in firm_kinds
    assert {first.invoice_id, second.invoice_id}


def test_every_reminder_statement_and_letter_of_a_ninety_day_run_says_where_to_pay(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(DUE)
    jan = s.state.add_contact(
        s.org,
        "Jan Jansen",
        email="jan@example.nl",
        sub_type="individual",
        created=s.world.clock.now(),
    )
    firm = s.customer("Groothandel BV")
    s.invoice(jan, "300.00", DUE, number="INV-000201")
    s.invoice(firm, "2420.00", DUE, number="INV-000202")
    s.invoice(firm, "95.00", date(2026, 1, 12), number="INV-000203")

    s.days(DUE, 90)

    mails = [m for m in s.state.mails() if m.kind in ("payment_reminder", "statement")]
    assert len(mails) >= 6
    numbers = {inv.invoice_id: inv.invoice_number for inv in s.state.data(s.org).invoices.values()}
    for mail in mails:
        text = plain(mail.body)
        assert IBAN in text, mail.subject
        assert "Demo Installatietechniek B.V." in text, mail.subject
        for ref in mail.invoice_ids:
            assert numbers[ref] in text, (mail.subject, numbers[ref])


def test_doctor_counts_customers_per_ladder_and_names_consumers_a_client_can_only_remind(
    make_scenario: MakeScenario,
) -> None:
    from connector.alerts import conditions
    from connector.config import load_config
    from connector.doctor import run_doctor

    s = make_scenario(DUE)
    jan = s.state.add_contact(
        s.org,
        "Jan Jansen",
        email="jan@example.nl",
        sub_type="individual",
        created=s.world.clock.now(),
    )
    firm = s.customer("Wholesale Ltd")
    s.invoice(jan, "300.00", DUE, number="INV-000301")
    s.invoice(firm, "2420.00", DUE, number="INV-000302")
    path = s.world.root / "config" / "clients" / "demo.yaml"
    path.write_text(
        path.read_text()
        .replace("policy: nl-b2b-standard", "policy: us-30-60-90")
        .replace("language: nl", "language: en")
    )
    s.world.app.config = load_config(s.world.root / "config", s.world.env)
    s.world.reload()

    s.days(DUE, 75)

    jan_kinds = [
        a["kind"]
        for a in s.world.actions()
        if a["status"] == "sent" and a["customer_ref"] == jan.contact_id
    ]
    assert jan_kinds == ["reminder", "reminder", "firm_reminder"], "reminders, then nothing"
    lines, _ = run_doctor(s.world.app, s.world.clock)
    text = "\n".join(lines)
    assert (
        "demo: customers per ladder: us-30-60-90 1 (business), "
        "us-30-60-90 (reminders only) 1 (consumer)" in text
    ), text
    assert "WARN demo: 1 consumer(s) had every reminder" in text and "Jan Jansen" in text
    [alert] = [c for c in conditions(s.world.app, s.world.clock.now()) if c.kind == "consumers"]
    assert "Jan Jansen" in alert.message and "policies.consumer" in alert.message
