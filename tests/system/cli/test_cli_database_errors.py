"""Every `dunning` command that uses the store, when the database cannot be used: one line
`error: ...` naming the cause, exit code 2 (`doctor`: a FAIL line and exit 1), no traceback.

The commands are found by walking the real command group, platforms' commands included, so a
new command must be listed here (with its arguments) or among those that never open the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import typer
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from connector.cli import app as dunning
from sandboxes.zoho.world import WorldClient, write_config

#: argv after the command's name, per command; CUSTOMER and OUT are filled in
ARGUMENTS: dict[str, list[str]] = {
    "doctor": [],
    "auth login": ["acme", "--no-browser"],
    "auth set-token": ["acme"],
    "sync": ["acme"],
    "plan": ["acme"],
    "run": ["acme", "--dry-run"],
    "status": [],
    "customers": ["acme"],
    "pause": ["acme", "1001", "--kind", "dispute", "--reason", "x"],
    "resume": ["acme", "1001"],
    "page-link": ["acme", "1001", "--revoke"],
    "statement": ["acme", "1001", "--out", "OUT/s.pdf"],
    "letter": ["acme", "1001", "--out", "OUT/l.pdf"],
    "handoff": ["acme", "--out", "OUT/dossiers"],
    "report": ["acme", "--format", "json"],
    "approve": ["acme", "--list"],
    "plans list": ["acme"],
    "plans approve": ["acme", "1"],
    "plans reject": ["acme", "1", "--reason", "x"],
    "serve": [],
    "worker": ["--burst"],
    "enqueue": [],
    "keys rotate": [],
    "exact divisions": ["acme"],
    "exact webhooks subscribe": ["acme"],
    "exact webhooks list": ["acme"],
    "exact webhooks remove": ["acme"],
    "moneybird administrations": ["acme"],
    "moneybird release": ["acme"],
    "moneybird webhooks subscribe": ["acme"],
    "users add": ["owner@example.nl", "--role", "owner", "--client", "acme", "--password-stdin"],
    "users list": [],
    "users remove": ["owner@example.nl"],
    "users reset": ["owner@example.nl", "--password-stdin"],
    "console": ["--listen", "127.0.0.1:0"],
}
#: commands that never open the store
WITHOUT_STORE = {"init", "demo", "calc collection-costs", "calc interest"}


def command_names(group: Any = None, prefix: str = "") -> Iterator[str]:
    group = group if group is not None else typer.main.get_command(dunning)
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if hasattr(command, "list_commands"):
            yield from command_names(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}"


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("dberrors")
    config = root / "config"
    write_config(
        config,
        "http://127.0.0.1:9",
        [WorldClient("acme", "20070001")],
        f"sqlite:///{root / 'dunning.db'}",
        {},
    )
    env = {
        "ZOHO_CLIENT_ID": "id",
        "ZOHO_CLIENT_SECRET": "secret",
        "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
    }
    return config, env


def corrupt_file(tmp: Path) -> str:
    bad = tmp / "corrupt.db"
    bad.write_bytes(b"this is not a database, it was overwritten by a backup tool" * 100)
    return f"sqlite:///{bad}"


FAULTS = {
    "corrupt-file": (corrupt_file, "file is not a database"),
    "unreachable-server": (
        lambda tmp: "postgresql+psycopg://dunning@127.0.0.1:1/dunning",
        "127.0.0.1:1",
    ),
}


def test_every_command_is_listed_here() -> None:
    assert set(command_names()) == set(ARGUMENTS) | WITHOUT_STORE


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_database_that_cannot_be_used_is_one_line_in_every_command(
    installation: tuple[Path, dict[str, str]], fault: str, tmp_path: Path
) -> None:
    config, env = installation
    url, cause = FAULTS[fault]
    env = {**env, "DATABASE_URL": url(tmp_path)}
    problems = []
    for name, args in ARGUMENTS.items():
        argv = [*name.split(), *(a.replace("OUT", str(tmp_path)) for a in args)]
        result = CliRunner().invoke(dunning, ["--config", str(config), *argv], env=env)
        out = result.output
        errors = [line for line in out.splitlines() if line.startswith("error:")]
        want = 1 if name == "doctor" else 2
        if result.exit_code != want:
            problems.append(f"{name}: exit {result.exit_code}, want {want}: {out[-300:]}")
        if "Traceback" in out or not isinstance(result.exception, (SystemExit, type(None))):
            problems.append(f"{name}: traceback or {result.exception!r}")
        if name == "doctor":
            if not any(
                line.startswith("FAIL database:") and cause in line for line in out.splitlines()
            ):
                problems.append(f"doctor: no FAIL line naming {cause!r}: {out[-300:]}")
        elif len(errors) != 1 or cause not in errors[0]:
            problems.append(f"{name}: want one error line naming {cause!r}, got: {out[-300:]}")
    assert not problems, "\n".join(problems)


def test_verbose_adds_the_traceback_before_the_same_one_line_in_every_command(
    installation: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    config, env = installation
    env = {**env, "DATABASE_URL": corrupt_file(tmp_path)}
    problems = []
    for name, args in ARGUMENTS.items():
        if name == "doctor":  # reports the database as a FAIL line, not as an error
            continue
        argv = [*name.split(), *(a.replace("OUT", str(tmp_path)) for a in args)]
        result = CliRunner().invoke(dunning, ["--config", str(config), "-v", *argv], env=env)
        lines = result.output.strip().splitlines()
        if result.exit_code != 2 or "Traceback" not in result.output:
            problems.append(f"{name}: exit {result.exit_code}, no traceback: {lines[-3:]}")
        elif not (lines[-1].startswith("error:") and "file is not a database" in lines[-1]):
            problems.append(f"{name}: last line is not the one error line: {lines[-1]!r}")
    assert not problems, "\n".join(problems)
