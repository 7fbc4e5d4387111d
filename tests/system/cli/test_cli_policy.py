"""`dunning doctor` on policies and templates, and the commands of issue #4 (pause, resume,
customers, statement, letter, handoff) in-process over a small sandbox ledger."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from repo import REPO
from typer.testing import CliRunner

from connector.cli import app as cli
from connector.config import load_config
from connector.doctor import run_doctor
from connector.store import pauses
from connector.store.db import session_scope
from sandboxes.world import local_moment
from sandboxes.zoho.generate import DemoInfo, seed_demo
from sandboxes.zoho.state import ZohoState
from sandboxes.zoho.world import ZohoWorld

MONDAY = date(2026, 1, 5)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ZohoWorld]:
    def small(state: ZohoState, org: str, seed: int) -> DemoInfo:
        return seed_demo(state, seed=seed, customers=6, invoices=20, organization_id=org)

    w = ZohoWorld.open(tmp_path, start=local_moment(MONDAY, 9), seed=5, populate=small)
    yield w
    w.close()


def reload(world: ZohoWorld) -> None:
    world.app.config = load_config(world.app.config_dir, world.env)
    world.reload()


def append(world: ZohoWorld, text: str) -> None:
    path = world.app.config_dir / "clients" / "demo.yaml"
    path.write_text(path.read_text() + text)
    reload(world)


def test_doctor_names_the_policy_file_and_key_of_a_broken_ladder(world: ZohoWorld) -> None:
    folder = world.app.config_dir / "policies"
    folder.mkdir()
    (folder / "wholesale.yaml").write_text(
        "name: wholesale\nsteps:\n"
        "  - {id: first, kind: reminder, days: 10, template: reminder}\n"
        "  - {id: second, kind: reminder, days: 5, template: nudge}\n"
    )
    append(world, "policies: {government: wholesale}\n")
    lines, ok = run_doctor(world.app, world.clock)
    assert not ok
    failures = [line for line in lines if line.startswith("FAIL demo: policy:")]
    assert any(
        f"{folder / 'wholesale.yaml'}: steps.1.days: steps must be in order" in line
        and "(line 4)" in line
        for line in failures
    ), failures
    # order fixed: the unknown template is next (checked once the ladder's shape is valid)
    (folder / "wholesale.yaml").write_text(
        (folder / "wholesale.yaml").read_text().replace("days: 5", "days: 15")
    )
    lines, ok = run_doctor(world.app, world.clock)
    assert not ok
    assert any(
        "steps.1.template: unknown template 'nudge'" in line and "(line 4)" in line
        for line in lines
    ), lines


def test_doctor_catches_a_template_with_an_unknown_variable(world: ZohoWorld) -> None:
    own = world.app.config_dir / "templates" / "demo" / "nl"
    own.mkdir(parents=True)
    source = (
        REPO / "connector" / "render" / "templates" / "nl" / "fourteen_day_letter.j2"
    ).read_text()
    (own / "fourteen_day_letter.j2").write_text(
        source.replace("{{ company }}", "{{ company_name }}")
    )
    append(world, "policies: {consumer: nl-b2c-wik}\n")
    lines, ok = run_doctor(world.app, world.clock)
    assert not ok
    assert "FAIL demo: template nl/fourteen_day_letter.j2: unknown variable 'company_name'" in lines


def test_doctor_reports_the_ladder_per_profile_when_all_is_well(world: ZohoWorld) -> None:
    append(world, "policies: {consumer: nl-b2c-wik, government: nl-government}\n")
    lines, ok = run_doctor(world.app, world.clock)
    assert ok, lines
    assert "ok   demo: consumer customers: policy nl-b2c-wik, 5 steps" in lines
    assert "ok   demo: government customers: policy nl-government, 6 steps" in lines


def invoke(world: ZohoWorld, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--config", str(world.app.config_dir), *args], env=world.env)
    assert result.exit_code == 0, result.output
    return result.output


def pdf_text(path: Path) -> str:
    return " ".join(
        "\n".join(p.extract_text() for p in PdfReader(BytesIO(path.read_bytes())).pages).split()
    )


def test_pause_resume_customers_statement_letter_and_handoff(
    world: ZohoWorld, tmp_path: Path
) -> None:
    for n in range(40):  # sync and dun for a while so there is history
        assert world.run("demo", at=local_moment(MONDAY + timedelta(days=n), 9)).ok
    today = (MONDAY + timedelta(days=40)).isoformat()
    od = world.state.data(world.organization())
    open_invoices = [i for i in od.invoices.values() if i.balance > 0]
    target = open_invoices[0]
    customer = target.customer_id

    out = invoke(
        world,
        "pause",
        "demo",
        customer,
        "--kind",
        "promise",
        "--until",
        (MONDAY + timedelta(days=45)).isoformat(),
        "--reason",
        "pays on the 19th",
        "--by",
        "piet",
        "--now",
        today,
    )
    assert "promise to pay (customer) until 2026-02-19: pays on the 19th [by piet]" in out
    out = invoke(
        world,
        "pause",
        "demo",
        "--invoice",
        target.invoice_number,
        "--kind",
        "dispute",
        "--reason",
        "wrong quantity",
        "--now",
        today,
    )
    assert f"dispute (invoice {target.invoice_id})" in out
    with session_scope(world.app.engine) as session:
        live = pauses.live(session, "demo")
    assert {(p.kind.value, p.created_by) for p in live} >= {("promise", "piet")}

    listing = invoke(world, "customers", "demo", "--now", today)
    assert "promise to pay" in listing and "chronic late payer(s)" in listing

    out = invoke(
        world, "resume", "demo", customer, "--kind", "promise", "--by", "piet", "--now", today
    )
    assert "resumed" in out
    with session_scope(world.app.engine) as session:
        kinds = {p.kind.value for p in pauses.live(session, "demo")}
    assert kinds == {"dispute"}

    statement = tmp_path / "s.pdf"
    invoke(world, "statement", "demo", customer, "--out", str(statement), "--now", today)
    assert target.invoice_number in pdf_text(statement)
    letter = tmp_path / "l.pdf"
    invoke(
        world,
        "letter",
        "demo",
        customer,
        "--kind",
        "fourteen-day",
        "--out",
        str(letter),
        "--now",
        today,
    )
    assert "binnen veertien dagen vanaf de dag nadat deze brief bij u is bezorgd" in pdf_text(
        letter
    )
    dossiers = tmp_path / "handoff"
    out = invoke(
        world, "handoff", "demo", "--customer", customer, "--out", str(dossiers), "--now", today
    )
    [pdf] = list(dossiers.glob("*.pdf"))
    [csv] = list(dossiers.glob("*.csv"))
    assert "wrong quantity" in pdf_text(pdf)
    assert "pause," in csv.read_text() and "total claim" in csv.read_text()


def test_a_promise_needs_a_date_and_a_pause_needs_a_reason(world: ZohoWorld) -> None:
    assert world.run("demo").ok  # the customer is looked up in the synced store
    customer = next(iter(world.state.data(world.organization()).contacts))
    runner = CliRunner()
    base = ["--config", str(world.app.config_dir), "pause", "demo", customer]
    result = runner.invoke(cli, [*base, "--kind", "promise", "--reason", "x"], env=world.env)
    assert result.exit_code == 2 and "--until" in result.output
    result = runner.invoke(cli, [*base, "--kind", "stop"], env=world.env)
    assert result.exit_code == 2 and "reason" in result.output
