"""The documents a credit controller sends or hands over, built from the store and the law.

* Account statement: every open invoice, what was paid since the last statement, totals and
  ageing (`statement_document`).
* Letters for (registered) post: the notice of default and the consumer fourteen-day letter, with
  sender, address, invoice table, statutory interest, collection costs and the deadline
  (`letter_document`); the fourteen-day letter's wording is the Hoge Raad's and is checked by
  `connector.legal.check_letter_wording` in the tests.
* Collection dossier per customer: invoices, reminders sent with dates, pauses (promises,
  disputes, notes), amounts including interest and costs, as PDF and CSV (`dossier`).

One module per document (`statement`, `letters`, `dossier`), what they share in `common`, the
wording in `translations`, the dispatcher's mail attachments in `attachments`. All figures come
from `connector.legal`; the layout is `connector.render.pdf`. Nothing here reads the clock:
`today` is passed in.
"""

from __future__ import annotations

from connector.documents.attachments import LETTER_KINDS, attachments_for, letter_address
from connector.documents.common import (
    DocumentSettings,
    Figures,
    figures,
    interest_on,
    payment_rows,
    settings_for,
)
from connector.documents.dossier import Dossier, dossier
from connector.documents.letters import letter_document, letter_pdf
from connector.documents.statement import last_statement_day, statement_document, statement_pdf

__all__ = [
    "LETTER_KINDS",
    "DocumentSettings",
    "Dossier",
    "Figures",
    "attachments_for",
    "dossier",
    "figures",
    "interest_on",
    "last_statement_day",
    "letter_address",
    "letter_document",
    "letter_pdf",
    "payment_rows",
    "settings_for",
    "statement_document",
    "statement_pdf",
]
