"""The consumer fourteen-day letter (art. 6:96 lid 6 BW; HR 25-11-2016, ECLI:NL:HR:2016:2704).

Sources: syncasso.nl/news/uitspraak-hoge-raad-veertiendagen-brief/ summarises the HR: the term
"vangt aan daags na de dag waarop de aanmaning door de schuldenaar is ontvangen"; ordinary post
"in de regel ... op de tweede dag na verzending ... bezorgd, waarbij een zondag, maandag of
officiële feestdag niet meetelt als tussenliggende dag of dag van bezorging"; the accepted wording
"binnen veertien dagen vanaf de dag nadat deze brief bij u is bezorgd" (also vandongenenpartners.nl)
and "binnen vijftien dagen nadat deze brief bij u is bezorgd" (ikbendrentsondernemer.nl); a term
"na dagtekening" is wrong and cannot be repaired by extra days (bvvb.nl, voorbeeldcontract.nl).
Date vectors: shared/reference/dunning-and-law.md §3.2 (2025 calendar).
"""

from __future__ import annotations

from datetime import date

import pytest

from connector.domain.money import Money
from connector.legal import check_letter_wording, fourteen_day_letter_terms
from connector.legal.calendar import BusinessCalendar
from connector.legal.fourteen_day import deemed_postal_receipt

NL = BusinessCalendar("NL")


@pytest.mark.parametrize(
    ("posted", "delivered", "deadline", "costs_from"),
    [
        # Tue → Thu: Wed and Thu both count.
        (date(2025, 3, 4), date(2025, 3, 6), date(2025, 3, 20), date(2025, 3, 21)),
        # Thu → Sat: a Saturday counts as a delivery day.
        (date(2025, 3, 6), date(2025, 3, 8), date(2025, 3, 22), date(2025, 3, 23)),
        # Fri → Tue: Sat counts, Sunday and Monday are skipped.
        (date(2025, 3, 7), date(2025, 3, 11), date(2025, 3, 25), date(2025, 3, 26)),
        # Tue → Fri: Ascension Day (Thu 29 May 2025) is skipped.
        (date(2025, 5, 27), date(2025, 5, 30), date(2025, 6, 13), date(2025, 6, 14)),
    ],
)
def test_post_dates_follow_the_hoge_raad_rule(
    posted: date, delivered: date, deadline: date, costs_from: date
) -> None:
    terms = fourteen_day_letter_terms(posted, NL, by="post")
    assert terms.received_on == delivered
    assert terms.term_first_day.toordinal() == delivered.toordinal() + 1
    assert terms.deadline == deadline
    assert terms.costs_from == costs_from


def test_posted_on_saturday_skips_sunday_and_monday() -> None:
    """Sat 2025-03-08: Sun and Mon do not count; Tue is day 1, Wed day 2."""
    assert deemed_postal_receipt(date(2025, 3, 8), NL) == date(2025, 3, 12)


def test_posted_before_easter_skips_the_holidays() -> None:
    """Thu 2025-04-17: Good Friday (a holiday in the `holidays` package's NL calendar) is skipped,
    Sat 19 counts, Easter Sunday and Easter Monday are skipped, Tue 22 is the second day.
    """
    assert deemed_postal_receipt(date(2025, 4, 17), NL) == date(2025, 4, 22)


def test_a_client_declared_holiday_counts_like_a_public_one() -> None:
    """Extra holidays given to the calendar (e.g. by decree) are skipped too."""
    calendar = BusinessCalendar("NL", extra_holidays=[date(2025, 3, 6)])
    assert deemed_postal_receipt(date(2025, 3, 4), calendar) == date(2025, 3, 7)


def test_deadline_on_a_weekend_gives_a_later_safe_date() -> None:
    """Posted Thu 2025-03-06: delivered Sat 8, deadline Sat 22. Whether the Algemene termijnenwet
    moves it to Mon 24 is unsettled, so the safe first day for costs is Tue 25 (reference §3.2).
    """
    terms = fourteen_day_letter_terms(date(2025, 3, 6), NL)
    assert terms.costs_from == date(2025, 3, 23)
    assert terms.costs_from_safe == date(2025, 3, 25)
    assert any("Algemene termijnenwet" in n for n in terms.notes)


def test_deadline_on_a_workday_needs_no_extra_day() -> None:
    terms = fourteen_day_letter_terms(date(2025, 3, 4), NL)
    assert terms.costs_from_safe == terms.costs_from == date(2025, 3, 21)


def test_email_is_received_the_same_business_day() -> None:
    """No settled rule for e-mail (Hof Den Bosch accepted it, lawfox.nl): same day if a business
    day, else the next one; so a Sunday e-mail counts as received on Monday.
    """
    tuesday = fourteen_day_letter_terms(date(2025, 3, 4), NL, by="email")
    assert (tuesday.received_on, tuesday.deadline) == (date(2025, 3, 4), date(2025, 3, 18))
    sunday = fourteen_day_letter_terms(date(2025, 3, 9), NL, by="email")
    assert sunday.received_on == date(2025, 3, 10)
    ascension = fourteen_day_letter_terms(date(2025, 5, 29), NL, by="email")
    assert ascension.received_on == date(2025, 5, 30)


def test_unknown_channel_is_refused() -> None:
    with pytest.raises(ValueError, match="post"):  # an unknown channel, passed on purpose
        fourteen_day_letter_terms(date(2025, 3, 4), NL, by="fax")  # type: ignore[arg-type]


# --- wording ---------------------------------------------------------------------------------

GOOD_NL = (
    "Wij verzoeken u het openstaande bedrag van € 1.000,00 te betalen binnen veertien dagen vanaf "
    "de dag nadat deze brief bij u is bezorgd. Betaalt u niet binnen deze termijn, dan bent u "
    "buitengerechtelijke incassokosten verschuldigd van € 150,00."
)


def codes(problems: list[str]) -> list[str]:
    return [p.split(":", 1)[0] for p in problems]


def test_the_hoge_raad_wording_passes() -> None:
    assert check_letter_wording(GOOD_NL) == []


def test_the_fifteen_days_wording_passes() -> None:
    text = (
        "Betaal het bedrag binnen vijftien dagen nadat deze brief bij u is bezorgd. Doet u dat "
        "niet, dan brengen wij incassokosten van € 40,00 in rekening."
    )
    assert check_letter_wording(text) == []


@pytest.mark.parametrize(
    "term",
    [
        "binnen 14 dagen na dagtekening",
        "binnen veertien dagen na de datum van deze brief",
        "binnen 14 dagen na heden",
        "binnen 14 dagen na verzending van deze brief",
        "binnen 14 dagen vanaf de briefdatum",
    ],
)
def test_terms_counted_from_the_letter_make_it_void(term: str) -> None:
    text = f"Betaal {term}. Anders zijn incassokosten van € 150,00 verschuldigd."
    assert codes(check_letter_wording(text)) == ["void-term"]


def test_a_void_phrase_is_flagged_even_beside_a_correct_one() -> None:
    """A correct sentence does not save a wrong one: the debtor may rely on the wrong one."""
    text = GOOD_NL + " U kunt ook binnen 14 dagen na dagtekening betalen."
    assert codes(check_letter_wording(text)) == ["void-term"]


def test_too_short_term_is_flagged() -> None:
    text = "Betaal binnen 7 dagen na ontvangst van deze brief. Incassokosten: € 150,00."
    assert codes(check_letter_wording(text)) == ["short-term"]


def test_fourteen_days_from_the_day_of_receipt_is_one_day_short() -> None:
    """'vanaf de dag van ontvangst' counts the receipt day itself, leaving 13 full days."""
    text = "Betaal binnen 14 dagen vanaf de dag van ontvangst. Incassokosten: € 150,00."
    assert codes(check_letter_wording(text)) == ["short-term"]


def test_missing_term_and_missing_costs_amount_are_flagged() -> None:
    text = (
        "Betaal zo snel mogelijk, anders brengen wij incassokosten volgens de wettelijke "
        "staffel in rekening."
    )
    assert codes(check_letter_wording(text)) == ["missing-term", "missing-costs-amount"]


def test_missing_costs_altogether_is_flagged() -> None:
    text = "Betaal binnen veertien dagen vanaf de dag nadat deze brief bij u is bezorgd."
    assert codes(check_letter_wording(text)) == ["missing-costs"]


def test_the_stated_amount_must_match_the_calculated_costs() -> None:
    """Art. 6:96 lid 6: the letter names the costs that will be charged; another figure is wrong."""
    assert check_letter_wording(GOOD_NL, costs=Money.of("150", "EUR")) == []
    problems = check_letter_wording(GOOD_NL, costs=Money.of("425", "EUR"))
    assert codes(problems) == ["wrong-costs-amount"]
    # 1.150,00 in the letter is not 150,00.
    text = GOOD_NL.replace("€ 150,00", "€ 1.150,00")
    assert codes(check_letter_wording(text, costs=Money.of("150", "EUR"))) == ["wrong-costs-amount"]
    assert check_letter_wording(text, costs=Money.of("1150", "EUR")) == []


def test_english_letters_are_checked_too() -> None:
    good = (
        "Please pay within fourteen days from the day after this letter was delivered to you. "
        "Otherwise collection costs of EUR 150.00 are due."
    )
    assert check_letter_wording(good, lang="en") == []
    void = "Please pay within 14 days of the date of this letter. Collection costs: EUR 150.00."
    assert codes(check_letter_wording(void, lang="en")) == ["void-term"]


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="lang"):
        check_letter_wording(GOOD_NL, lang="de")
