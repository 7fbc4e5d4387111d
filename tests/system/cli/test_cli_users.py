"""`dunning users add|list|remove|reset`: who may sign in to the console, through the real
`dunning` command group on a real SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner, Result

from connector.app import App
from connector.cli import app as dunning
from connector.console.users import authenticate
from sandboxes.zoho.world import WorldClient, write_config

PASSWORD = "correct horse battery staple"


@pytest.fixture
def installation(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    env = {
        "ZOHO_CLIENT_ID": "id",
        "ZOHO_CLIENT_SECRET": "secret",
        "DUNNING_SECRET_KEY": Fernet.generate_key().decode(),
    }
    write_config(
        tmp_path / "config",
        "http://127.0.0.1:9",
        [WorldClient("acme", "20070001"), WorldClient("bakker", "20070002")],
        f"sqlite:///{tmp_path / 'dunning.db'}",
        {},
    )
    return tmp_path / "config", env


def users(installation: tuple[Path, dict[str, str]], *args: str, stdin: str = "") -> Result:
    config, env = installation
    return CliRunner().invoke(
        dunning, ["--config", str(config), "users", *args], env=env, input=stdin
    )


def test_add_list_reset_and_remove_a_user(installation: tuple[Path, dict[str, str]]) -> None:
    added = users(
        installation,
        *("add", "Eva@Example.nl", "--role", "owner", "--client", "acme", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    assert added.exit_code == 0, added.output
    assert added.output == "added eva@example.nl (business owner; sees acme)\n"
    admin = users(
        installation,
        *("add", "ops@example.nl", "--role", "admin", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    assert admin.exit_code == 0, admin.output
    listed = users(installation, "list")
    assert listed.output == (
        "eva@example.nl: business owner; sees acme\n"
        "ops@example.nl: administrator; sees every client\n"
    )
    reset = users(
        installation, "reset", "eva@example.nl", "--password-stdin", stdin="a new long password\n"
    )
    assert reset.exit_code == 0, reset.output
    config, env = installation
    app = App.open(config, env)
    assert authenticate(app.engine, "eva@example.nl", "a new long password") is not None
    assert authenticate(app.engine, "eva@example.nl", PASSWORD) is None
    app.engine.dispose()
    assert users(installation, "remove", "eva@example.nl").exit_code == 0
    assert "eva@example.nl" not in users(installation, "list").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--role", "boss", "--client", "acme"),
            "error: --role must be consultant, owner or admin",
        ),
        (
            ("--role", "owner", "--client", "zzz"),
            "error: no such client: zzz (known: acme, bakker)",
        ),
        (("--role", "owner"), "error: a business owner needs at least one --client"),
    ],
)
def test_a_user_that_cannot_be_added_fails_with_one_line_and_exit_2(
    installation: tuple[Path, dict[str, str]], args: tuple[str, ...], message: str
) -> None:
    result = users(
        installation, "add", "x@example.nl", *args, "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [message]


def test_the_password_never_appears_in_the_output(
    installation: tuple[Path, dict[str, str]],
) -> None:
    result = users(
        installation,
        *("add", "x@example.nl", "--role", "admin", "--password-stdin"),
        stdin=PASSWORD + "\n",
    )
    assert PASSWORD not in result.output and "argon2" not in result.output
