"""E-mail addresses as ledgers hold them: a field often carries two or more addresses
("good@cust.example, bad@cust.example") or a typo. `split_addresses` turns one field into the
single addresses a mail can go to and the parts that are not an address (reported per customer,
never sent to). A CR, LF or NUL separates parts, so it can never reach a mail header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEPARATORS = re.compile(r"[,;\r\n\0]+")
_NAMED = re.compile(r"^[^<>]*<([^<>]*)>$")
#: letters and digits of any script are allowed (internationalised addresses, RFC 6531/6532:
#: "administratie@cafédeboer.example"); spaces, quotes, brackets and control characters are not
_ADDRESS = re.compile(
    r"^[\w.!#$%&'*+/=?^`{|}~-]+"
    r"@[^\W_](?:[\w-]{0,61}[^\W_])?"
    r"(?:\.[^\W_](?:[\w-]{0,61}[^\W_])?)+$"
)
#: RFC 5321: 64 characters before the @, 254 in all
_MAX_LOCAL, _MAX_TOTAL = 64, 254


@dataclass(frozen=True, slots=True)
class Addresses:
    valid: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()


def is_address(text: str) -> bool:
    local, _, _ = text.partition("@")
    return (
        len(text) <= _MAX_TOTAL
        and len(local) <= _MAX_LOCAL
        and ".." not in text
        and not local.startswith(".")
        and not local.endswith(".")
        and _ADDRESS.match(text) is not None
    )


def split_addresses(raw: str | None) -> Addresses:
    """The single addresses in a ledger's e-mail field (each once, in order) and the parts
    that are not an address."""
    if not raw:
        return Addresses()
    valid: list[str] = []
    invalid: list[str] = []
    seen: set[str] = set()
    for part in _SEPARATORS.split(raw):
        text = part.strip()
        if not text:
            continue
        named = _NAMED.match(text)
        address = named.group(1).strip() if named else text
        if not is_address(address):
            invalid.append(text[:100])
        elif address.lower() not in seen:
            seen.add(address.lower())
            valid.append(address)
    return Addresses(tuple(valid), tuple(invalid))
