"""The report as HTML (self-contained: inline CSS and SVG charts, no external asset), CSV and
JSON. The HTML opens from a mail attachment or a file share without any network."""

from __future__ import annotations

import html
import io
import json
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

from babel.numbers import format_decimal

from connector.documents.csvsafe import SafeWriter
from connector.domain import Money
from connector.domain.money import LOCALES, format_money
from connector.report.ageing import BUCKETS, Report
from connector.report.story import Event

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
    number: Callable[[Decimal], str] | None = None,
) -> str:
    """A vertical bar chart as an inline <svg>, value labels on the bars (`number` formats
    them; default English digits)."""
    e = html.escape
    fmt = number or (lambda v: f"{v:,.0f}")
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
            f'fill="{colour}"><title>{e(label)}: {e(fmt(value))}</title></rect>'
        )
        if not small or value:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'font-size="{9 if small else 12}">{e(fmt(value))}</text>'
            )
        parts.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'font-size="{9 if small else 12}">{e(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


_PAGE: dict[str, dict[str, str]] = {
    "nl": {
        "title": "Debiteurenrapport",
        "as_of": "Stand op {day}; periode {start} tot en met {day}.",
        "open": "Openstaand",
        "overdue": "Waarvan vervallen",
        "dso": "DSO (dagen)",
        "dso_na": "n.v.t.",
        "invoiced": "Gefactureerd in de periode",
        "collected": "Ontvangen in de periode",
        "handed": "Bij incasso",
        "ageing": "Ouderdom van de openstaande posten",
        "ageing_chart": "Openstaand naar dagen over de vervaldatum ({cur})",
        "bucket": "dagen over de vervaldatum",
        "invoices": "facturen",
        "amount": "bedrag",
        "collections": "Ontvangsten",
        "per_week": "Ontvangen per week ({cur})",
        "per_step": "Betaald na welke stap ({cur})",
        "step": "betaald na",
        "actions": "Wat er gedaan is",
        "kind": "soort",
        "count": "aantal",
        "none": "geen",
        "handed_title": "Klanten bij incasso",
        "customer": "klant",
        "story": "Dag voor dag",
        "story_intro": "Elke stap zoals de klant hem kreeg: wie, welke facturen en hoeveel er "
        "open stond. Beltaken zijn taken voor uw medewerker, geen verzonden post.",
        "task": "taak",
        "sent": "verstuurd",
        "paid": "betaald",
        "samples": "Voorbeelddocumenten",
        "samples_intro": "Zo zien de documenten eruit die klanten en het incassobureau "
        "ontvangen (PDF):",
        "not due": "niet vervallen",
        "other": "Open in andere valuta (niet in de cijfers hierboven): {list}",
        "week": "week van {day}",
    },
    "en": {
        "title": "Receivables",
        "as_of": "As of {day}; period {start} to {day}.",
        "open": "Open receivables",
        "overdue": "Of which overdue",
        "dso": "DSO (days)",
        "dso_na": "n/a",
        "invoiced": "Invoiced in period",
        "collected": "Collected in period",
        "handed": "Customers in hand-off",
        "ageing": "Ageing",
        "ageing_chart": "Ageing of open receivables ({cur})",
        "bucket": "days past due",
        "invoices": "invoices",
        "amount": "open",
        "collections": "Collections",
        "per_week": "Collected per week ({cur})",
        "per_step": "Collected after each step ({cur})",
        "step": "paid after step",
        "actions": "Actions performed in the period",
        "kind": "kind",
        "count": "count",
        "none": "none",
        "handed_title": "Customers in hand-off",
        "customer": "customer",
        "story": "Day by day",
        "story_intro": "Every step as the customer got it: who, which invoices and how much "
        "was open. Call tasks are tasks for your staff, not something sent.",
        "task": "task",
        "sent": "sent",
        "paid": "paid",
        "samples": "Sample documents",
        "samples_intro": "What customers and the collection agency receive (PDF):",
        "not due": "not due",
        "other": "Open in other currencies (not in the figures above): {list}",
        "week": "week of {day}",
    },
}

_STYLE = (
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;"
    "color:#1f2933;background:#f5f7fa}"
    "header{background:linear-gradient(135deg,#0b3d91,#1565c0);color:#fff;padding:28px 40px 68px}"
    "header h1{margin:0 auto 6px;max-width:1040px;font-size:26px;font-weight:600}"
    "header p{margin:0 auto;max-width:1040px;opacity:.85;line-height:1.4}"
    "main{max-width:1040px;margin:0 auto;padding:24px 40px 48px}"
    "h2{font-size:18px;margin:32px 0 12px;color:#0b3d91}"
    ".kpi{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px;"
    "margin-top:-48px}"
    ".kpi div{background:#fff;border-radius:10px;padding:14px 16px;box-shadow:0 1px 4px "
    "rgba(0,0,0,.12);font-size:13px;color:#52606d}"
    ".kpi b{display:block;font-size:19px;color:#1f2933;margin-top:6px;white-space:nowrap}"
    ".card{background:#fff;border-radius:10px;padding:16px 20px;box-shadow:0 1px 3px "
    "rgba(0,0,0,.08);margin-bottom:16px}"
    ".charts{display:grid;grid-template-columns:1fr;gap:16px}"
    ".charts .card{margin:0}svg{display:block;max-width:100%;height:auto;margin:0 auto}"
    "table{border-collapse:collapse;width:100%;font-size:14px}"
    "td,th{border-bottom:1px solid #e4e7eb;padding:6px 8px;text-align:left}"
    "th{color:#52606d;font-weight:600}td.n,th.n{text-align:right;white-space:nowrap}"
    ".day{display:grid;grid-template-columns:150px 1fr;gap:12px;padding:8px 0;"
    "border-bottom:1px solid #e4e7eb}.day:last-child{border:0}"
    ".day time{color:#52606d;font-size:13px;padding-top:2px}"
    ".ev{margin:2px 0;font-size:14px;line-height:1.5}"
    ".tag{display:inline-block;font-size:11px;border-radius:9px;padding:1px 8px;"
    "margin-right:6px;background:#e3f2fd;color:#0b3d91;font-weight:600}"
    ".tag.task{background:#fff3e0;color:#e65100}.tag.paid{background:#e8f5e9;color:#1b5e20}"
    ".tag.hard{background:#ffebee;color:#b71c1c}"
    ".samples a{display:inline-block;margin:4px 12px 4px 0;padding:8px 14px;border-radius:8px;"
    "background:#e3f2fd;color:#0b3d91;text-decoration:none;font-weight:600}"
    "footer{color:#7b8794;font-size:12px;margin-top:24px}"
)

#: kinds shown with the red tag (letters with legal weight)
_HARD = frozenset({"notice_of_default", "fourteen_day_letter", "handoff"})


def _day(value: date, language: str) -> str:
    from babel.dates import format_date

    return str(format_date(value, "EEE d MMM", locale=LOCALES.get(language, "en_GB")))


def _long_day(value: date, language: str) -> str:
    from babel.dates import format_date

    return str(format_date(value, "d MMMM y", locale=LOCALES.get(language, "en_GB")))


def render_html(
    report: Report,
    *,
    language: str = "en",
    story: Sequence[tuple[date, Sequence[Event]]] | None = None,
    samples: Sequence[tuple[str, str]] = (),
    intro: str = "",
    footer: str = "",
) -> str:
    """The client report: KPIs, ageing, DSO, charts; with `story` the day-by-day account of
    what was done, and links to `samples` ((label, relative href)). Self-contained."""
    from connector.report.story import KIND_LABELS, step_label

    e = html.escape
    r = report
    t = _PAGE.get(language, _PAGE["en"])
    kinds = KIND_LABELS.get(language, KIND_LABELS["en"])

    def m(value: Money) -> str:
        return _money(value, language)

    def number(value: Decimal) -> str:
        return format_decimal(value, "#,##0", locale=LOCALES.get(language, "en_GB"))

    bucket_names = [t.get(b, b) for b in BUCKETS]
    ageing_svg = bar_chart_svg(
        t["ageing_chart"].format(cur=r.currency),
        bucket_names,
        [r.ageing[b].amount for b in BUCKETS],
        _COLOURS,
        number=number,
        width=960,
        height=260,
    )
    weeks = r.collections_by_week
    collections_svg = bar_chart_svg(
        t["per_week"].format(cur=r.currency),
        [_day(d, language).split(" ", 1)[1] for d, _ in weeks],
        [v.amount for _, v in weeks],
        number=number,
        width=960,
        height=240,
    )
    steps_svg = bar_chart_svg(
        t["per_step"].format(cur=r.currency),
        [step_label(s, language) for s in r.collected_after_step],
        [v.amount for v in r.collected_after_step.values()],
        ("#7b1fa2",),
        number=number,
        width=960,
        height=240,
    )
    dso = t["dso_na"] if r.dso_days is None else number(r.dso_days)
    overdue = sum((r.ageing[b] for b in BUCKETS[1:]), Money.zero(r.currency))
    collected = sum((v for _, v in weeks), Money.zero(r.currency))
    rows = "".join(
        f"<tr><td>{e(name)}</td><td class='n'>{r.ageing_counts[b]}</td>"
        f"<td class='n'>{e(m(r.ageing[b]))}</td></tr>"
        for b, name in zip(BUCKETS, bucket_names, strict=True)
    )
    actions = (
        "".join(
            f"<tr><td>{e(kinds.get(k, k))}</td><td class='n'>{v}</td></tr>"
            for k, v in r.actions_in_period.items()
        )
        or f"<tr><td colspan='2'>{t['none']}</td></tr>"
    )
    handed = (
        "".join(
            f"<tr><td>{e(name)}</td><td class='n'>{e(m(b))}</td></tr>"
            for _ref, name, b in r.handed_off
        )
        or f"<tr><td colspan='2'>{t['none']}</td></tr>"
    )
    other = (
        "<p>"
        + e(t["other"].format(list=", ".join(m(v) for v in r.other_currencies.values())))
        + "</p>"
        if r.other_currencies
        else ""
    )
    as_of = t["as_of"].format(
        day=_long_day(r.as_of, language), start=_long_day(r.period_start, language)
    )
    body = [
        f"<header><h1>{e(t['title'])}: {e(r.display_name)}</h1>"
        f"<p>{e(as_of)}" + (f" {e(intro)}" if intro else "") + "</p></header><main>",
        "<div class='kpi'>"
        f"<div>{e(t['open'])}<b>{e(m(r.open_total))}</b></div>"
        f"<div>{e(t['overdue'])}<b>{e(m(overdue))}</b></div>"
        f"<div>{e(t['dso'])}<b>{e(dso)}</b></div>"
        f"<div>{e(t['collected'])}<b>{e(m(collected))}</b></div>"
        f"<div>{e(t['invoiced'])}<b>{e(m(r.invoiced_in_period))}</b></div>"
        f"<div>{e(t['handed'])}<b>{len(r.handed_off)}</b></div></div>",
        f"<h2>{e(t['ageing'])}</h2><div class='card'>{ageing_svg}"
        f"<table><tr><th>{e(t['bucket'])}</th><th class='n'>{e(t['invoices'])}</th>"
        f"<th class='n'>{e(t['amount'])}</th></tr>{rows}</table>{other}</div>",
        f"<h2>{e(t['collections'])}</h2><div class='charts'>"
        f"<div class='card'>{collections_svg}</div><div class='card'>{steps_svg}</div></div>",
    ]
    if samples:
        links = "".join(f"<a href='{e(href)}'>{e(label)}</a>" for label, href in samples)
        body.append(
            f"<h2>{e(t['samples'])}</h2><div class='card samples'>"
            f"<p>{e(t['samples_intro'])}</p>{links}</div>"
        )
    if story is not None:
        body.append(f"<h2>{e(t['story'])}</h2><div class='card'><p>{e(t['story_intro'])}</p>")
        for day, events in story:
            lines = []
            for ev in events:
                css = (
                    "task"
                    if ev.task
                    else "paid"
                    if ev.kind in ("paid", "thank_you")
                    else "hard"
                    if ev.kind in _HARD
                    else ""
                )
                lines.append(
                    f"<div class='ev'><span class='tag {css}'>{e(ev.label)}</span>"
                    f"{e(ev.text)}</div>"
                )
            body.append(
                f"<div class='day'><time>{e(_day(day, language))}</time>"
                f"<div>{''.join(lines)}</div></div>"
            )
        body.append("</div>")
    body.append(
        f"<h2>{e(t['actions'])}</h2><div class='card'><table><tr><th>{e(t['kind'])}</th>"
        f"<th class='n'>{e(t['count'])}</th></tr>{actions}</table></div>"
        f"<h2>{e(t['handed_title'])}</h2><div class='card'><table><tr>"
        f"<th>{e(t['customer'])}</th><th class='n'>{e(t['amount'])}</th></tr>{handed}</table>"
        "</div>"
    )
    if footer:
        body.append(f"<footer>{e(footer)}</footer>")
    body.append("</main>")
    return (
        f"<!doctype html><html lang='{e(language)}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{e(t['title'])} {e(r.display_name)} {r.as_of}</title>"
        f"<style>{_STYLE}</style></head><body>{''.join(body)}</body></html>"
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
