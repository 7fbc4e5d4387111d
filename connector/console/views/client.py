"""The client page's ageing chart: the report's buckets as an inline bar chart (no script)."""

from __future__ import annotations

from markupsafe import Markup

from connector.domain import Money
from connector.domain.money import format_money
from connector.report.render import bar_chart_svg
from connector.status.client import ClientPage

COLOURS = ("#4caf50", "#ffc107", "#ff9800", "#f4511e", "#b71c1c")


def ageing_chart(page: ClientPage, language: str, title: str) -> Markup:
    """An inline <svg> of the open amounts per bucket, amounts in the page's language. Safe:
    `bar_chart_svg` escapes every text it writes."""
    currency = page.report.currency
    return Markup(  # noqa: S704 - bar_chart_svg escapes every text it writes
        bar_chart_svg(
            title,
            [label for label, _amount, _count in page.ageing],
            [amount.amount for _label, amount, _count in page.ageing],
            COLOURS,
            number=lambda v: format_money(Money(v, currency), language),
            width=720,
            height=240,
        )
    )
