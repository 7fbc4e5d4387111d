"""CSV that is safe to open in a spreadsheet (no formula injection).

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (``=HYPERLINK(...)`` in a customer name sent
to a collection agency). Such a cell gets a leading ``'``, which spreadsheets show as text; see
OWASP's "CSV Injection" page (https://owasp.org/www-community/attacks/CSV_Injection).
Numbers we write ourselves (amounts, dates) never start with these characters except a negative
amount, which stays a plain number.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, Protocol

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-\d+(\.\d+)?")


def neutralise(value: object) -> object:
    """`value` as a cell: text starting like a formula gets a ``'`` in front; others unchanged."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        if _PLAIN_NUMBER.fullmatch(value):
            return value  # a negative amount (e.g. a credit note) is a number, not a formula
        return "'" + value
    return value


class _Writer(Protocol):
    def writerow(self, row: Iterable[Any], /) -> Any: ...


class SafeWriter:
    """`csv.writer` whose every cell passes through `neutralise`."""

    def __init__(self, out: Any, **kwargs: Any) -> None:
        self._writer: _Writer = csv.writer(out, **kwargs)

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)
