"""A ledger's e-mail field split into single addresses (issue #15)."""

from __future__ import annotations

from connector.domain import Customer
from connector.domain.addresses import split_addresses


def test_two_addresses_in_one_field_are_two_recipients_and_a_typo_is_reported() -> None:
    found = split_addresses("good@cust.example, bad@cust; Boekhouding <ap@cust.example>")
    assert found.valid == ("good@cust.example", "ap@cust.example")
    assert found.invalid == ("bad@cust",)


def test_an_internationalised_address_is_an_address() -> None:
    assert split_addresses("administratie@cafédeboer.example").valid == (
        "administratie@cafédeboer.example",
    )


def test_a_line_break_never_reaches_a_header_it_separates_parts() -> None:
    c = Customer("1", "X", email="a@x.nl\r\nBcc: victim@evil.example")
    assert c.emails == ("a@x.nl",)
    assert c.bad_emails == ("Bcc: victim@evil.example",)


def test_the_same_address_twice_is_mailed_once() -> None:
    assert split_addresses("a@x.nl, A@X.NL").valid == ("a@x.nl",)
