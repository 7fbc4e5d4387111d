"""Every command under each fault an operator meets: one clear line naming the cause, the right
exit code, never a traceback (unless `-v` asks for it).

Faults: a wrong secret key, a corrupt database file, a database path that cannot be opened, an
unreachable PostgreSQL server, an unknown client, a policy naming a template that does not
exist. Most cells run in-process through the real command group (fast); a few run as real
subprocesses, the way a user meets them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from connector.cli import app as dunning
from connector.store import ledger_repo
from connector.store.db import session_scope
from sandboxes.world import local_moment
from sandboxes.zoho.generate import DEMO_ORG, DemoInfo, seed_demo
from sandboxes.zoho.state import ZohoState
from sandboxes.zoho.world import ZohoWorld

AT = local_moment(date(2026, 1, 6), 10).isoformat()
OTHER_KEY = Fernet.generate_key().decode()


@dataclass
class Installation:
    world: ZohoWorld
    customer: str  # a customer's name, as people type it

    @property
    def config(self) -> Path:
        return self.world.app.config_dir


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installation]:
    def small(state: ZohoState, org: str, seed: int) -> DemoInfo:
        return seed_demo(state, seed=seed, customers=4, invoices=12, organization_id=org)

    root = tmp_path_factory.mktemp("faults")
    world = ZohoWorld.open(
        root, start=local_moment(date(2026, 1, 5), 9), seed=5, slugs=("acme",), populate=small
    )
    assert world.run("acme").ok
    with session_scope(world.app.engine) as session:
        snapshot = ledger_repo.load_snapshot(session, "acme")
    owing = sorted({i.customer_ref for i in snapshot.invoices.values() if i.is_open})
    name = snapshot.customers[owing[0]].name
    yield Installation(world, name)
    world.close()


#: (name, argv after --config DIR); ACME and CUSTOMER are filled in
COMMANDS: list[tuple[str, list[str]]] = [
    ("status", ["status", "--now", AT]),
    ("doctor", ["doctor", "--now", AT]),
    ("plan", ["plan", "ACME", "--now", AT]),
    ("run", ["run", "ACME", "--dry-run", "--now", AT]),
    ("run-all", ["run", "--all", "--dry-run", "--now", AT]),
    ("sync", ["sync", "ACME", "--now", AT]),
    ("customers", ["customers", "ACME", "--now", AT]),
    ("statement", ["statement", "ACME", "CUSTOMER", "--out", "OUT/s.pdf", "--now", AT]),
    ("letter", ["letter", "ACME", "CUSTOMER", "--out", "OUT/l.pdf", "--now", AT]),
    ("pause", ["pause", "ACME", "CUSTOMER", "--kind", "dispute", "--reason", "x", "--now", AT]),
    ("approve-list", ["approve", "ACME", "--list", "--now", AT]),
    ("report", ["report", "ACME", "--format", "json", "--now", AT]),
    ("handoff", ["handoff", "ACME", "--out", "OUT/dossiers", "--now", AT]),
]


@dataclass(frozen=True)
class Fault:
    name: str
    cause: str  # what the one line must name
    #: exit code per command name; a command not listed must exit 2
    codes: dict[str, int]
    env: Callable[[Installation, Path], dict[str, str]] = lambda inst, tmp: {}
    client: str = "acme"
    setup: Callable[[Installation], Callable[[], None]] | None = None


def _corrupt(inst: Installation, tmp: Path) -> dict[str, str]:
    bad = tmp / "corrupt.db"
    bad.write_bytes(b"this is not a database, it was overwritten by a backup tool" * 100)
    return {"DATABASE_URL": f"sqlite:///{bad}"}


def _unopenable(inst: Installation, tmp: Path) -> dict[str, str]:
    folder = tmp / "a-folder.db"
    folder.mkdir(exist_ok=True)
    return {"DATABASE_URL": f"sqlite:///{folder}"}


def _missing_template(inst: Installation) -> Callable[[], None]:
    policies = inst.config / "policies"
    policies.mkdir(exist_ok=True)
    (policies / "ours.yaml").write_text(
        "name: ours\nsteps:\n  - {id: reminder, kind: reminder, days: 7, template: our_reminder}\n"
    )
    client = inst.config / "clients" / "acme.yaml"
    before = client.read_text()
    client.write_text(before.replace("policy: nl-b2b-standard", "policy: ours"))

    def undo() -> None:
        client.write_text(before)
        (policies / "ours.yaml").unlink()

    return undo


DB_CODES = {"doctor": 1}  # doctor reports a FAIL line; every other command exits 2
FAULTS = [
    Fault(
        "wrong-key",
        "cannot be decrypted with env DUNNING_SECRET_KEY",
        # commands that do not need the token work on the local store as before
        {
            "status": 0,
            "doctor": 1,
            "plan": 1,
            "run": 1,
            "run-all": 1,
            "sync": 1,
            "customers": 0,
            "statement": 0,
            "letter": 0,
            "pause": 0,
            "approve-list": 0,
            "report": 0,
            "handoff": 0,
        },
        env=lambda inst, tmp: {"DUNNING_SECRET_KEY": OTHER_KEY},
    ),
    Fault("corrupt-db", "file is not a database", DB_CODES, env=_corrupt),
    Fault("unopenable-db", "unable to open database file", DB_CODES, env=_unopenable),
    Fault(
        "unreachable-db",
        "127.0.0.1:1",
        DB_CODES,
        env=lambda inst, tmp: {"DATABASE_URL": "postgresql+psycopg://dunning@127.0.0.1:1/dunning"},
    ),
    Fault(
        "unknown-client",
        "no such client",
        {"status": 0, "doctor": 0, "run-all": 0},
        client="nosuch",
    ),
    Fault(
        "missing-template",
        "unknown template 'our_reminder'",
        {
            "status": 0,
            "doctor": 1,
            "plan": 1,
            "run": 1,
            "run-all": 1,
            "sync": 1,
            "statement": 0,
            "letter": 0,
            "pause": 0,
            "approve-list": 0,
            "report": 0,
            "handoff": 0,
        },
        setup=_missing_template,
    ),
]
#: cells where the fault does not touch what the command does: it succeeds and names nothing
UNTOUCHED = {
    ("wrong-key", name)
    for name in ("customers", "statement", "letter", "pause", "approve-list", "report", "handoff")
} | {
    ("unknown-client", "status"),
    ("unknown-client", "doctor"),
    ("unknown-client", "run-all"),
    ("missing-template", "status"),
    ("missing-template", "statement"),
    ("missing-template", "letter"),
    ("missing-template", "pause"),
    ("missing-template", "approve-list"),
    ("missing-template", "report"),
    ("missing-template", "handoff"),
}


def argv(inst: Installation, fault: Fault, command: list[str], out: Path) -> list[str]:
    filled = [
        fault.client
        if a == "ACME"
        else inst.customer
        if a == "CUSTOMER"
        else a.replace("OUT", str(out))
        for a in command
    ]
    return ["--config", str(inst.config), *filled]


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_every_command_names_the_fault_in_one_line(
    installation: Installation, fault: Fault, tmp_path: Path
) -> None:
    env = {**installation.world.env, **fault.env(installation, tmp_path)}
    undo = fault.setup(installation) if fault.setup else None
    problems = []
    try:
        for name, command in COMMANDS:
            result = CliRunner().invoke(
                dunning, argv(installation, fault, command, tmp_path), env=env
            )
            out = result.output
            want = fault.codes.get(name, 2)
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                problems.append(f"{name}: raised {result.exception!r}")
            if result.exit_code != want:
                problems.append(f"{name}: exit {result.exit_code}, want {want}: {out[-300:]}")
            if "Traceback" in out:
                problems.append(f"{name}: traceback")
            if (fault.name, name) not in UNTOUCHED and fault.cause not in out:
                problems.append(f"{name}: cause {fault.cause!r} not named: {out[-300:]}")
            errors = [line for line in out.splitlines() if line.startswith("error:")]
            if len(errors) > 1:
                problems.append(f"{name}: {len(errors)} error lines")
    finally:
        if undo:
            undo()
    assert not problems, "\n".join(problems)


def test_doctor_reports_the_fault_as_a_fail_line(
    installation: Installation, tmp_path: Path
) -> None:
    env = {**installation.world.env, **_corrupt(installation, tmp_path)}
    result = CliRunner().invoke(dunning, ["--config", str(installation.config), "doctor"], env=env)
    assert result.exit_code == 1
    assert any(
        line.startswith("FAIL database:") and "file is not a database" in line
        for line in result.output.splitlines()
    ), result.output


# -- a few as real subprocesses ---------------------------------------------------------------
def run_cli(
    inst: Installation, *args: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    full.update(inst.world.env)
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", "--config", str(inst.config), *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
        check=False,
    )


def test_wrong_key_in_a_real_process_says_where_the_key_came_from_and_how_to_recover(
    installation: Installation,
) -> None:
    result = run_cli(
        installation, "plan", "acme", "--now", AT, env={"DUNNING_SECRET_KEY": OTHER_KEY}
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "env DUNNING_SECRET_KEY" in line and "restore that key" in line
    assert "dunning auth login acme" in line and OTHER_KEY not in line


def test_plan_of_an_unknown_client_is_one_line_and_exit_2(installation: Installation) -> None:
    result = run_cli(installation, "plan", "nosuch", env={})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"error: nosuch: no such client (no {installation.config}/clients/nosuch.yaml; known: acme)"
    ]


def test_verbose_shows_the_traceback(installation: Installation, tmp_path: Path) -> None:
    env = _corrupt(installation, tmp_path)
    quiet = run_cli(installation, "status", env=env)
    assert quiet.returncode == 2 and "Traceback" not in quiet.stderr
    loud = run_cli(installation, "-v", "status", env=env)
    assert loud.returncode == 2 and "Traceback" in loud.stderr
    assert loud.stderr.strip().splitlines()[-1] == quiet.stderr.strip().splitlines()[-1]


def test_run_all_goes_on_with_the_clients_that_can_run(installation: Installation) -> None:
    broken = installation.config / "clients" / "broken.yaml"
    broken.write_text(
        (installation.config / "clients" / "acme.yaml")
        .read_text()
        .replace("policy: nl-b2b-standard", "policy: no-such-ladder")
        .replace(f'organization_id: "{DEMO_ORG}"', 'organization_id: "20079999"')
    )
    try:
        result = run_cli(installation, "run", "--all", "--dry-run", "--now", AT, env={})
    finally:
        broken.unlink()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "broken: FAILED: policy:" in result.stderr and "no-such-ladder" in result.stderr
    assert any(
        line.startswith("(dry run) acme: ") and "planned" in line
        for line in result.stdout.splitlines() + result.stderr.splitlines()
    )
