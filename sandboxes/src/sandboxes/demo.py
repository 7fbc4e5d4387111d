"""`dunning demo`: 90 simulated days of the connector against a platform's sandbox.

The demo runs the connector once per simulated day (09:00 local) while the sandbox's customers
pay according to their habits, then writes an HTML report (the client report, sample PDFs and
the day-by-day story) and a console summary of what was sent to whom and when, checking that no
reminder went to a customer after they paid. The platform is a name
(`--platform zoho|exact|moneybird`); its world (`sandboxes.world`) says what its fake saw.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from connector.report.story import KIND_LABELS
from sandboxes import demo_folder
from sandboxes.demo_folder import DemoFolderError
from sandboxes.world import (
    PLATFORMS,
    ZONE,
    SandboxWorld,
    UnknownPlatform,
    local_moment,
    world_class,
)

__all__ = ["PLATFORMS", "DemoFolderError", "DemoResult", "UnknownPlatform", "run_demo", "simulate"]


@dataclass
class DemoResult:
    report: Path
    summary: list[str]
    mails_after_payment: list[str]
    sent_by_kind: Counter[str]


def run_demo(
    out: Path,
    *,
    platform: str = "zoho",
    days: int = 90,
    seed: int = 7,
    start: date | None = None,
    echo: Callable[[str], object] = print,
) -> Path:
    return simulate(out, platform=platform, days=days, seed=seed, start=start, echo=echo).report


def simulate(
    out: Path,
    *,
    platform: str = "zoho",
    days: int = 90,
    seed: int = 7,
    start: date | None = None,
    echo: Callable[[str], object] = print,
    language: str | None = None,
) -> DemoResult:
    """Run the demo; the report is in `language` (nl or en; default: the client's)."""
    from connector.documents.samples import write_samples  # issue #4: one sample of each PDF

    world_type = world_class(platform)  # an unknown platform is refused before any file
    start = start or date(2026, 1, 5)
    out = demo_folder.prepare(out)  # clean, absolute; refuses a folder with others' files
    with world_type.open(
        out,
        start=local_moment(start, 8),
        seed=seed,
        database_url=f"sqlite:///{out / 'demo.db'}",
    ) as world:
        pay = world.payments(seed)
        failures = 0
        for n in range(days):
            day = start + timedelta(days=n)
            run = world.run("demo", at=local_moment(day, 9))
            if not run.ok:
                failures += 1
                echo(f"{day}: run failed: {run.error}")
            for line in run.dispatch.lines:
                echo(f"{day}  {line}")
            world.clock.set(local_moment(day, 12))
            pay(day)
        samples = write_samples(world.app, "demo", start + timedelta(days=days), out / "samples")
        outcome = build_report(world, start, days, out, samples=samples, language=language)
        for line in outcome.summary:
            echo(line)
        if failures:
            echo(f"{failures} runs failed")
        demo_folder.write_env(out, world.env)
        demo_folder.finish(out)
        return outcome


def build_report(
    world: SandboxWorld,
    start: date,
    days: int,
    out: Path,
    *,
    samples: Sequence[Path] = (),
    language: str | None = None,
) -> DemoResult:
    """The console summary (figures in words) and the HTML report."""
    bad = world.mails_after_payment()
    actions = world.actions("demo")
    sent_by_kind: Counter[str] = Counter(a["kind"] for a in actions if a["status"] == "sent")
    statuses: Counter[str] = Counter(a["status"] for a in actions)
    summary = [
        world.demo_headline(start, days),
        "actions done: "
        + (
            ", ".join(
                f"{KIND_LABELS['en'].get(k, k).lower()} {v}"
                for k, v in sorted(sent_by_kind.items())
            )
            or "none"
        ),
        "outbox: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        *world.demo_facts(),
        f"reminders to a customer after they paid: {len(bad)}",
    ]
    report = out / "report.html"
    lang = language or world.app.config.clients["demo"].language
    report.write_text(demo_page(world, start, days, out, samples, lang, bad), encoding="utf-8")
    sample_lines = [f"sample: {path}" for path in samples]
    if world.samples_before_report:
        summary += [*sample_lines, f"report: {report}"]
    else:
        summary += [f"report: {report}", *sample_lines]
    return DemoResult(report, summary, bad, sent_by_kind)


SAMPLE_LABELS = {
    "nl": {
        "statement.pdf": "Rekeningoverzicht",
        "notice_of_default.pdf": "Ingebrekestelling",
        "fourteen_day_letter.pdf": "Veertiendagenbrief",
        "handoff_dossier.pdf": "Incassodossier",
        "handoff_dossier.csv": "Incassodossier (CSV)",
    },
    "en": {
        "statement.pdf": "Statement of account",
        "notice_of_default.pdf": "Notice of default",
        "fourteen_day_letter.pdf": "Fourteen-day letter",
        "handoff_dossier.pdf": "Collection dossier",
        "handoff_dossier.csv": "Collection dossier (CSV)",
    },
}


def demo_page(
    world: SandboxWorld,
    start: date,
    days: int,
    out: Path,
    samples: Sequence[Path],
    language: str,
    bad: list[str],
) -> str:
    """The demo's report: the client report (KPIs, ageing, DSO, charts), the links to the
    sample PDFs and the day-by-day story in plain words."""
    from connector.report import client_report
    from connector.report.render import render_html
    from connector.report.story import story

    now = world.clock.now()
    report = client_report(world.app, "demo", now, period_days=days)
    end = start + timedelta(days=days - 1)
    labels = SAMPLE_LABELS.get(language, SAMPLE_LABELS["en"])
    links = [
        (labels.get(p.name, p.name), p.relative_to(out).as_posix())
        for p in samples
        if p.is_relative_to(out)
    ]
    customers, invoices = world.ledger_size()
    platform = world.label
    if language == "nl":
        intro = (
            f"{days} gesimuleerde dagen tegen de meegeleverde {platform}-sandbox "
            f"({customers} klanten, {invoices} facturen); er is niets buiten deze machine "
            "verstuurd."
        )
        footer = (
            f"Herinneringen aan een klant die al betaald had: {len(bad)}. Elke stap gaat via "
            "de outbox, dus niets gaat twee keer uit."
        )
    else:
        intro = (
            f"{days} simulated days against the bundled {platform} sandbox ({customers} "
            f"customers, {invoices} invoices); nothing left this machine."
        )
        footer = (
            f"Reminders to a customer who had already paid: {len(bad)}. Every step goes "
            "through the outbox, so nothing goes out twice."
        )
    return render_html(
        report,
        language=language,
        story=story(world.app.engine, "demo", ZONE, start, end, language),
        samples=links,
        intro=intro,
        footer=footer,
    )
