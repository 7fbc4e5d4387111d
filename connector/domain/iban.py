"""IBAN checks (ISO 13616): the format and the mod-97 check digits, and the grouped print form.

A reminder that names the wrong account sends the customer's money elsewhere, so the account in
a client's configuration is checked when the configuration is loaded, not when a customer
complains.
"""

from __future__ import annotations

import re

_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")

#: lengths per country for the countries this product's clients bank in (SWIFT IBAN registry)
LENGTHS = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "ES": 24, "GB": 22, "LU": 20, "AT": 20}


def normalise_iban(value: str) -> str:
    """Upper case without spaces."""
    return "".join(value.split()).upper()


def iban_problem(value: str) -> str | None:
    """Why `value` is not a valid IBAN, or None. Never repeats the value (it goes in errors)."""
    iban = normalise_iban(value)
    if not _SHAPE.match(iban):
        return "not an IBAN (expected a country code, two check digits and the account, e.g. "
        "NL91 ABNA 0417 1643 00)"
    expected = LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return f"an IBAN of {iban[:2]} has {expected} characters, this one {len(iban)}"
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        return "the IBAN's check digits do not match (mod-97): a typing error?"
    return None


def format_iban(value: str) -> str:
    """The print form: groups of four, ``NL91 ABNA 0417 1643 00``."""
    iban = normalise_iban(value)
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
