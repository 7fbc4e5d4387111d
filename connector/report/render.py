"""The report as HTML (self-contained: inline CSS and SVG charts, no external asset), CSV and
JSON. The HTML opens from a mail attachment or a file share without any network."""

from __future__ import annotations

import html
import io
import json
from decimal import Decimal

from connector.csvsafe import SafeWriter
from connector.domain import Money
from connector.domain.money import format_money
from connector.report.ageing import BUCKETS, Report

_COLOURS = ("#4caf50", "#ffc107", "#ff9800", "#f4511e", "#b71c1c")


def _money(value: Money, language: str = "en") -> str:
    return format_money(value, language)


def bar_chart_svg(
    title: str,
    labels: list[str],
    values: list[Decimal],
    colours: tuple[str, ...] = ("#1976d2",),
    width: int = 640,
    height: int = 260,
) -> str:
    """A vertical bar chart as an inline <svg>, value labels on the bars."""
    e = html.escape
    left, bottom, top = 10, 40, 44
    n = max(len(values), 1)
    peak = max((v for v in values), default=Decimal(0)) or Decimal(1)
    slot = (width - 2 * left) / n
    bar_w = max(slot * 0.7, 1.0)
    plot_h = height - bottom - top
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{e(title)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{e(title)}</title>",
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="14" '
        f'font-weight="bold">{e(title)}</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}" '
        'stroke="#999"/>',
    ]
    longest = max((len(label) for label in labels), default=0)
    small = n > 8 or longest * 7 > slot
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = float(value / peak) * plot_h if peak else 0.0
        x = left + i * slot + (slot - bar_w) / 2
        y = height - bottom - h
        colour = colours[i % len(colours)]
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{colour}"><title>{e(label)}: {value:,.2f}</title></rect>'
        )
        if not small or value:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'font-size="{9 if small else 12}">{value:,.0f}</text>'
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'font-size="{9 if small else 12}">{e(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render_html(report: Report) -> str:
    e = html.escape
    r = report
    ageing_svg = bar_chart_svg(
        f"Ageing of open receivables ({r.currency})",
        list(BUCKETS),
        [r.ageing[b].amount for b in BUCKETS],
        _COLOURS,
    )
    weeks = r.collections_by_week
    collections_svg = bar_chart_svg(
        f"Collected per week ({r.currency})",
        [f"{d:%d %b}" for d, _ in weeks],
        [v.amount for _, v in weeks],
    )
    steps_svg = bar_chart_svg(
        f"Collected after each step ({r.currency})",
        list(r.collected_after_step),
        [v.amount for v in r.collected_after_step.values()],
        ("#7b1fa2",),
    )
    dso = "n/a (nothing invoiced in the period)" if r.dso_days is None else f"{r.dso_days} days"
    rows = "".join(
        f"<tr><td>{e(b)}</td><td class='n'>{r.ageing_counts[b]}</td>"
        f"<td class='n'>{e(_money(r.ageing[b]))}</td></tr>"
        for b in BUCKETS
    )
    steps = "".join(
        f"<tr><td>{e(s)}</td><td class='n'>{e(_money(v))}</td></tr>"
        for s, v in r.collected_after_step.items()
    )
    actions = (
        "".join(
            f"<tr><td>{e(k)}</td><td class='n'>{v}</td></tr>"
            for k, v in r.actions_in_period.items()
        )
        or "<tr><td colspan='2'>none</td></tr>"
    )
    handed = (
        "".join(
            f"<tr><td>{e(name)}</td><td>{e(ref)}</td><td class='n'>{e(_money(b))}</td></tr>"
            for ref, name, b in r.handed_off
        )
        or "<tr><td colspan='3'>none</td></tr>"
    )
    other = (
        "<p>Open in other currencies (not in the figures above): "
        + e(", ".join(_money(v) for v in r.other_currencies.values()))
        + "</p>"
        if r.other_currencies
        else ""
    )
    style = (
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:left}td.n{text-align:right}.kpi{display:flex;gap:2em}"
        ".kpi div{border:1px solid #ddd;padding:.6em 1em;border-radius:6px}"
        ".kpi b{display:block;font-size:1.4em}svg{display:block;margin:1em 0}"
    )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Receivables report {e(r.display_name)} {r.as_of}</title>"
        f"<style>{style}</style></head><body>"
        f"<h1>Receivables: {e(r.display_name)}</h1>"
        f"<p>As of {r.as_of}; period {r.period_start} to {r.as_of}.</p>"
        "<div class='kpi'>"
        f"<div>Open receivables<b>{e(_money(r.open_total))}</b></div>"
        f"<div>DSO<b>{e(dso)}</b></div>"
        f"<div>Invoiced in period<b>{e(_money(r.invoiced_in_period))}</b></div>"
        f"<div>Customers in hand-off<b>{len(r.handed_off)}</b></div></div>"
        f"<h2>Ageing</h2>{ageing_svg}<table><tr><th>days past due</th><th>invoices</th>"
        f"<th>open</th></tr>{rows}</table>{other}"
        f"<h2>Collections</h2>{collections_svg}{steps_svg}"
        f"<table><tr><th>paid after step</th><th>amount</th></tr>{steps}</table>"
        f"<h2>Actions performed in the period</h2><table><tr><th>kind</th><th>count</th></tr>"
        f"{actions}</table>"
        f"<h2>Customers in hand-off</h2><table><tr><th>customer</th><th>ref</th>"
        f"<th>open</th></tr>{handed}</table>"
        "</body></html>"
    )


def render_csv(report: Report) -> str:
    """One `section,key,value` row per figure: easy to load in a spreadsheet."""
    out = io.StringIO()
    w = SafeWriter(out, lineterminator="\n")
    w.writerow(["section", "key", "value"])
    r = report
    w.writerow(["report", "client", r.client])
    w.writerow(["report", "as_of", r.as_of.isoformat()])
    w.writerow(["report", "period_start", r.period_start.isoformat()])
    w.writerow(["report", "currency", r.currency])
    for b in BUCKETS:
        w.writerow(["ageing", b, str(r.ageing[b].amount)])
    w.writerow(["totals", "open", str(r.open_total.amount)])
    w.writerow(["totals", "invoiced_in_period", str(r.invoiced_in_period.amount)])
    w.writerow(["totals", "dso_days", "" if r.dso_days is None else str(r.dso_days)])
    for step, v in r.collected_after_step.items():
        w.writerow(["collected_after_step", step, str(v.amount)])
    for week, paid in r.collections_by_week:
        w.writerow(["collected_per_week", week.isoformat(), str(paid.amount)])
    for kind, n in r.actions_in_period.items():
        w.writerow(["actions_in_period", kind, str(n)])
    for ref, name, open_balance in r.handed_off:
        w.writerow(["handed_off", f"{ref} {name}", str(open_balance.amount)])
    return out.getvalue()


def render_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=2)
