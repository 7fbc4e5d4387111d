"""End to end on the Exact sandbox (issue #14): a customer promises on their own page to pay by
Friday 13 March and does not. The business is mailed the promise (the next run) and, once the
grace day has passed, that it was not kept; the customer gets, on the first business day after
the grace day, the firm reminder (not the call the ladder had reached, not a second friendly
reminder) saying they had promised to pay. All mail over the client's relay, caught on loopback.

Dates: the invoice falls due on Monday 2 March 2026; the connector runs daily at 09:00.
"""

from __future__ import annotations

from datetime import date

from e2e_exact_support import MakeExactScenario

from connector.customers.self_service import promise_to_pay
from sandboxes.exact.world import SENDER

DUE = date(2026, 3, 2)
PROMISED_BY = date(2026, 3, 13)


def test_a_broken_promise_on_exact_mails_the_business_twice_and_the_customer_the_firm_reminder(
    make_exact_scenario: MakeExactScenario,
) -> None:
    s = make_exact_scenario(DUE)
    klant = s.customer("Bouwbedrijf Noord")
    s.invoice(klant, "1815.00", DUE, number=2026301)

    def promise(day: date) -> None:
        if day == date(2026, 3, 10):  # the day after the first reminder, on their page
            now = s.world.clock.now()
            promise_to_pay(s.world.app, "demo", klant.id, klant.name, PROMISED_BY, now)

    s.days(DUE, 16, after_run=promise)

    customer = [(m.day, m.subject) for m in s.mails_to(klant)]
    assert customer == [
        (date(2026, 3, 9), customer[0][1]),
        (date(2026, 3, 16), customer[1][1]),
    ], "the friendly reminder, then after the broken promise the firm one on Monday the 16th"
    assert customer[0][1].startswith("Herinnering")
    assert "blijft uit" in customer[1][1]  # the firm reminder's subject
    firm = " ".join(s.mails_to(klant)[1].text().split())
    assert "U had toegezegd uiterlijk op 13 maart 2026 te betalen" in firm
    business = [(m.day, " ".join(m.subject.split())) for m in s.world.smtp.to(SENDER)]
    assert business == [
        (
            date(2026, 3, 11),
            "Bouwbedrijf Noord heeft toegezegd te betalen uiterlijk 13 maart 2026",
        ),
        (
            date(2026, 3, 15),
            "Bouwbedrijf Noord heeft niet betaald uiterlijk 13 maart 2026 zoals toegezegd",
        ),
    ]
    promised = " ".join(s.world.smtp.to(SENDER)[0].text().split())
    assert "2026301" in promised and "1.815,00" in promised
