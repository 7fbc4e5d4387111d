"""End to end on the Zoho sandbox (issue #14): the reminder Zoho sends for a customer carries,
per invoice, the invoice's own `invoice_url` (Zoho's secure view, where its payment gateways take
the payment) as a "Online betalen" link, and no other customer's; the connector reads each
invoice in detail once for it (the list does not carry the link) and keeps it.

Dates: the invoices fall due on Monday 5 January 2026; the first reminder is due a week later.
"""

from __future__ import annotations

from datetime import date, timedelta

from e2e_support import MakeScenario

from sandboxes.zoho.app import invoice_url

DUE = date(2026, 1, 5)
DETAIL = "GET /invoices/{invoice_id}"


def test_each_reminder_carries_the_pay_links_of_its_own_invoices(
    make_scenario: MakeScenario,
) -> None:
    s = make_scenario(DUE)
    bakker, visser = s.customer("Bakkerij Bos"), s.customer("Visserij Vis")
    first, second = s.invoice(bakker, "400", DUE), s.invoice(bakker, "150", DUE)
    theirs = s.invoice(visser, "900", DUE)
    links = {i.invoice_id: invoice_url(s.org, i.invoice_id) for i in (first, second, theirs)}
    assert all(
        link.startswith("https://books.zoho.eu/SecurePayment?CInvoiceID=")
        for link in links.values()
    )

    s.days(DUE + timedelta(days=6), 2)

    [to_bakker] = s.state.mails("payment_reminder", bakker.contact_id)
    [to_visser] = s.state.mails("payment_reminder", visser.contact_id)
    assert f'<a href="{links[first.invoice_id]}">Online betalen</a>' in to_bakker.body
    assert f'<a href="{links[second.invoice_id]}">Online betalen</a>' in to_bakker.body
    assert links[theirs.invoice_id] not in to_bakker.body
    assert f'<a href="{links[theirs.invoice_id]}">Online betalen</a>' in to_visser.body
    assert links[first.invoice_id] not in to_visser.body
    reads = s.state.stats.calls[DETAIL]

    s.days(DUE + timedelta(days=14), 1)  # the call task; the firm reminder comes at day 21
    s.days(DUE + timedelta(days=21), 1)
    firm = s.state.mails("payment_reminder", bakker.contact_id)[-1]
    assert firm is not to_bakker and links[first.invoice_id] in firm.body
    assert s.state.stats.calls[DETAIL] == reads, "the stored links are reused, not read again"
