"""The consumer fourteen-day letter (veertiendagenbrief, art. 6:96 lid 6 BW).

Collection costs are owed by a consumer only after a written reminder that gives fourteen days to
pay, counted from the day *after* the consumer received it, and states the exact costs that will
follow (HR 25 November 2016, ECLI:NL:HR:2016:2704). Two pure helpers:

* :func:`fourteen_day_letter_terms` dates a letter: when it counts as received, the last day to
  pay, and the first day costs may be charged.
* :func:`check_letter_wording` flags wordings that make the letter ineffective ("binnen 14 dagen
  na dagtekening") and required elements that are missing. A flagged letter cannot be repaired by
  giving extra days afterwards; only a new, correct letter helps, so this runs *before* sending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from connector.domain.money import Money
from connector.legal.calendar import BusinessCalendar

Channel = Literal["post", "email"]
TERM_DAYS = 14


@dataclass(frozen=True, slots=True)
class LetterTerms:
    sent_on: date
    by: Channel
    received_on: date  # deemed day of receipt
    term_first_day: date  # day after receipt: day 1 of the fourteen
    deadline: date  # day 14: paying on this day is in time
    costs_from: date  # day after the deadline: the earliest day costs may be charged
    costs_from_safe: date  # same, with a deadline on a weekend/holiday moved to the next workday
    notes: tuple[str, ...]


def is_postal_delivery_day(d: date, calendar: BusinessCalendar) -> bool:
    """Whether ordinary post counts as delivered on `d` under the HR 2016 rule of experience.

    A Sunday, a Monday or an official holiday does not count as an intervening day nor as the
    day of delivery; a Saturday does. Holidays are the calendar's (its country's plus extras).
    """
    return d.weekday() not in (0, 6) and not calendar.is_holiday(d)


def deemed_postal_receipt(sent_on: date, calendar: BusinessCalendar) -> date:
    """Ordinary post counts as delivered on the 2nd counting day after sending (HR 2016, 3.6.2)."""
    counted = 0
    current = sent_on
    while counted < 2:
        current += timedelta(days=1)
        if is_postal_delivery_day(current, calendar):
            counted += 1
    return current


def fourteen_day_letter_terms(
    sent_on: date, calendar: BusinessCalendar, *, by: Channel = "post"
) -> LetterTerms:
    """Receipt, deadline and first day costs may be charged for a letter sent on `sent_on`.

    By post the HR's rule of experience applies (second day after sending, Sundays, Mondays and
    holidays skipped). By e-mail no rule is settled (Hof Den Bosch accepted an e-mailed letter):
    we take the day of sending when it is a business day, else the next business day, which is
    never earlier than actual receipt and so never charges costs too early.
    """
    notes: list[str] = []
    if by == "post":
        received = deemed_postal_receipt(sent_on, calendar)
        notes.append(
            "post: deemed delivered on the 2nd day after sending, not counting Sundays, Mondays "
            "or holidays (HR 25-11-2016, ECLI:NL:HR:2016:2704); the creditor must prove receipt "
            "if it is disputed"
        )
    elif by == "email":
        received = calendar.next_business_day(sent_on, inclusive=True)
        notes.append(
            "e-mail: receipt assumed on the sending day, or the next business day if sent on a "
            "weekend or holiday (our conservative assumption; no settled rule)"
        )
    else:
        raise ValueError(f"by must be 'post' or 'email', got {by!r}")
    first = received + timedelta(days=1)
    deadline = received + timedelta(days=TERM_DAYS)
    costs_from = deadline + timedelta(days=1)
    extended = calendar.next_business_day(deadline, inclusive=True)
    if extended != deadline:
        notes.append(
            f"the deadline {deadline} is not a business day; whether the Algemene termijnenwet "
            f"moves it to {extended} is unsettled, so waiting until after {extended} is safe"
        )
    return LetterTerms(
        sent_on=sent_on,
        by=by,
        received_on=received,
        term_first_day=first,
        deadline=deadline,
        costs_from=costs_from,
        costs_from_safe=extended + timedelta(days=1),
        notes=tuple(notes),
    )


# --- wording -------------------------------------------------------------------------------------

_NL_NUMBERS = {
    "een": 1,
    "één": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
    "tien": 10,
    "elf": 11,
    "twaalf": 12,
    "dertien": 13,
    "veertien": 14,
    "vijftien": 15,
    "zestien": 16,
    "twintig": 20,
    "eenentwintig": 21,
    "dertig": 30,
}
_EN_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "five": 5,
    "seven": 7,
    "ten": 10,
    "fourteen": 14,
    "fifteen": 15,
    "twenty-one": 21,
    "thirty": 30,
}


@dataclass(frozen=True, slots=True)
class _Lang:
    numbers: dict[str, int]
    term: re.Pattern[str]  # "<n> dagen <rest of clause>"
    receipt_anchor: re.Pattern[str]  # counted from receipt/delivery
    void_anchors: tuple[tuple[re.Pattern[str], str], ...]
    costs_word: re.Pattern[str]
    receipt_day_included: re.Pattern[str]  # counted *from* the day of receipt: one day less


_AMOUNT = re.compile(r"(?:€|\bEUR\b|\beuro\b)\s*\d|\d[\d.,]*\s*(?:€|\bEUR\b|\beuro\b)", re.I)

_LANGS: dict[str, _Lang] = {
    "nl": _Lang(
        numbers=_NL_NUMBERS,
        term=re.compile(r"\b(\d+|[a-zé]+)\s*(?:\(\d+\)\s*)?(?:kalender)?dagen\b([^.;\n]*)", re.I),
        receipt_anchor=re.compile(
            r"\b(ontvangst|ontvangen|ontvangt|bezorgd|bezorging|bezorgdatum|uitreiking)\b", re.I
        ),
        void_anchors=(
            (re.compile(r"\bna\s+(de\s+)?dagtekening\b", re.I), "na dagtekening"),
            (re.compile(r"\bvanaf\s+(de\s+)?dagtekening\b", re.I), "vanaf dagtekening"),
            (
                re.compile(r"\b(na|vanaf)\s+(de\s+)?(brief|verzend|verzendings?)datum\b", re.I),
                "na de brief-/verzenddatum",
            ),
            (
                re.compile(r"\b(na|vanaf)\s+de\s+datum\s+van\s+(deze|dit|onze)\b", re.I),
                "na de datum van deze brief",
            ),
            (re.compile(r"\b(na|vanaf)\s+(heden|vandaag)\b", re.I), "na heden"),
            (re.compile(r"\b(na|vanaf)\s+(de\s+)?verzending\b", re.I), "na verzending"),
        ),
        costs_word=re.compile(r"\b(incasso|buitengerechtelijke)\w*kosten\b|\bkosten\b", re.I),
        receipt_day_included=re.compile(
            r"\bvanaf\s+(de\s+dag\s+van\s+)?(de\s+)?(ontvangst|bezorging)\b", re.I
        ),
    ),
    "en": _Lang(
        numbers=_EN_NUMBERS,
        term=re.compile(r"\b(\d+|[a-z-]+)\s*(?:\(\d+\)\s*)?(?:calendar\s+)?days\b([^.;\n]*)", re.I),
        receipt_anchor=re.compile(r"\b(receipt|received|receive|delivered|delivery)\b", re.I),
        void_anchors=(
            (
                re.compile(r"\b(of|from|after)\s+the\s+date\s+of\s+(this|our)\b", re.I),
                "from the date of this letter",
            ),
            (re.compile(r"\b(from|after)\s+(today|now)\b", re.I), "from today"),
            (
                re.compile(r"\b(from|after)\s+(the\s+)?(letter|sending|dispatch)\s+date\b", re.I),
                "from the letter date",
            ),
            (
                re.compile(r"\b(after|of|from)\s+(sending|dispatch|posting)\b", re.I),
                "after sending",
            ),
        ),
        costs_word=re.compile(r"\b(collection\s+)?(costs|charges|fees)\b", re.I),
        receipt_day_included=re.compile(
            r"\bfrom\s+(the\s+day\s+of\s+)?(the\s+)?(receipt|delivery)\b", re.I
        ),
    ),
}


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+|\n\s*\n", text) if s.strip()]


def _number(word: str, lang: _Lang) -> int | None:
    if word.isdigit():
        return int(word)
    return lang.numbers.get(word.lower())


def _format_amount_variants(amount: Money) -> tuple[str, ...]:
    value = amount.amount
    whole, cents = f"{value:.2f}".split(".")
    grouped_nl = f"{int(whole):,}".replace(",", ".")
    grouped_en = f"{int(whole):,}"
    variants = {
        f"{grouped_nl},{cents}",
        f"{whole},{cents}",
        f"{grouped_en}.{cents}",
        f"{whole}.{cents}",
    }
    if cents == "00":
        variants |= {f"{grouped_nl},-", f"{whole},-"}
    return tuple(sorted(variants))


def check_letter_wording(text: str, lang: str = "nl", *, costs: Money | None = None) -> list[str]:
    """Problems that would make a fourteen-day letter ineffective; an empty list means none found.

    Flags (each message starts with a code):
    * ``void-term``: the term is counted from the letter's date or from sending ("binnen 14 dagen
      na dagtekening", "na de datum van deze brief", "na heden"); the HR holds such a letter does
      not make costs owed, whatever else it says.
    * ``short-term``: fewer than fourteen days after receipt.
    * ``missing-term``: no term counted from receipt ("binnen veertien dagen vanaf de dag nadat
      deze brief bij u is bezorgd" and "binnen vijftien dagen nadat deze brief bij u is bezorgd"
      are the HR-approved forms).
    * ``missing-costs`` / ``missing-costs-amount``: the consequence of not paying, with the exact
      amount of collection costs, must be stated (art. 6:96 lid 6 BW).
    * ``wrong-costs-amount``: `costs` was given and that amount does not appear in the letter.

    A heuristic on wording, not legal advice: it catches the known void phrases, it cannot prove a
    letter valid.
    """
    if lang not in _LANGS:
        raise ValueError(f"lang must be one of {sorted(_LANGS)}, got {lang!r}")
    spec = _LANGS[lang]
    problems: list[str] = []

    for pattern, label in spec.void_anchors:
        match = pattern.search(text)
        if match:
            problems.append(
                f"void-term: the term is counted from the letter's date or sending "
                f"({label!r}: {match.group(0)!r}); it must start the day after receipt "
                "(HR 25-11-2016, ECLI:NL:HR:2016:2704)"
            )

    good_term = False
    for sentence in _sentences(text):
        for match in spec.term.finditer(sentence):
            n = _number(match.group(1), spec)
            clause = match.group(2)
            if n is None or not spec.receipt_anchor.search(clause):
                continue
            # "vanaf (de dag van) ontvangst" counts the day of receipt itself, so needs 15 days.
            needed = TERM_DAYS + 1 if spec.receipt_day_included.search(clause) else TERM_DAYS
            if n >= needed:
                good_term = True
            else:
                problems.append(
                    f"short-term: {match.group(0).strip()!r} gives fewer than {TERM_DAYS} days "
                    "counted from the day after receipt"
                )
    if not good_term and not any(p.startswith(("void-term", "short-term")) for p in problems):
        problems.append(
            "missing-term: no payment term of 14 days counted from the day after receipt, e.g. "
            "'binnen veertien dagen vanaf de dag nadat deze brief bij u is bezorgd'"
        )

    cost_sentences = [s for s in _sentences(text) if spec.costs_word.search(s)]
    if not cost_sentences:
        problems.append(
            "missing-costs: the letter does not say which collection costs follow if it is not paid"
        )
    elif not any(_AMOUNT.search(s) for s in cost_sentences):
        problems.append(
            "missing-costs-amount: collection costs are mentioned without the exact amount "
            "(a percentage or 'volgens de wettelijke staffel' is not enough)"
        )
    if costs is not None and not any(
        re.search(rf"(?<![\d.,]){re.escape(v)}(?![\d])", text)
        for v in _format_amount_variants(costs)
    ):
        problems.append(f"wrong-costs-amount: the costs {costs} do not appear in the letter")
    return problems
