"""Where customers' replies go (issue #14): `reply_to` and the `inbox:` read over IMAP, checked
with file, key and line like every other setting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from connector.config import load_config

Writer = Callable[[str, str], Path]

INBOX = """\
reply_to: antwoord@acme.example
inbox:
  imap_host: imap.acme.example
  username: antwoord@acme.example
  password: ${ACME_INBOX_PASSWORD}
"""


def problems(config_dir: Path, env: dict[str, str]) -> list[str]:
    return [p.describe() for p in load_config(config_dir, env).errors["acme"].problems]


def test_a_reply_to_and_an_inbox_read_over_imaps_by_default(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + INBOX)
    env["ACME_INBOX_PASSWORD"] = "inbox-pass"

    client = load_config(config_dir, env).clients["acme"]

    assert client.reply_to == "antwoord@acme.example"
    assert client.inbox is not None
    assert (client.inbox.ssl, client.inbox.port, client.inbox.folder) == (True, 993, "INBOX")
    assert client.inbox.password.get_secret_value() == "inbox-pass"
    assert client.inbox.pause_days == 7


def test_a_reply_to_that_is_not_an_address_is_located(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + "reply_to: not-an-address\n")

    assert problems(config_dir, env) == [
        "config/clients/acme.yaml: reply_to: not a valid email address "
        "(expected name@example.com) (line 11)"
    ]


def test_the_inbox_password_must_come_from_the_environment(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + INBOX.replace("${ACME_INBOX_PASSWORD}", "hunter2"))

    [problem] = problems(config_dir, env)

    assert problem.startswith("config/clients/acme.yaml: inbox.password: a secret must not")
    assert "hunter2" not in problem


def test_an_inbox_needs_the_reply_to_it_reads(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + INBOX.replace("reply_to: antwoord@acme.example\n", ""))
    env["ACME_INBOX_PASSWORD"] = "inbox-pass"

    assert problems(config_dir, env) == [
        "config/clients/acme.yaml: reply_to: the inbox is read for customers' replies: set "
        "reply_to to its address (line 11)"
    ]


def test_plain_imap_only_to_a_server_on_this_machine(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    env["ACME_INBOX_PASSWORD"] = "inbox-pass"
    write("clients/acme.yaml", client_text + INBOX + "  ssl: false\n")

    [problem] = problems(config_dir, env)
    assert problem.startswith("config/clients/acme.yaml: inbox.ssl: the password is only sent")

    local = INBOX.replace("imap.acme.example", "127.0.0.1") + "  ssl: false\n  imap_port: 1143\n"
    write("clients/acme.yaml", client_text + local)
    inbox = load_config(config_dir, env).clients["acme"].inbox
    assert inbox is not None and inbox.port == 1143


def test_a_private_ca_is_named_by_a_file_relative_to_the_configuration(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("certs/mail-ca.pem", "-----BEGIN CERTIFICATE-----\n")
    write("clients/acme.yaml", client_text + INBOX + "  ca_file: certs/mail-ca.pem\n")
    env["ACME_INBOX_PASSWORD"] = "inbox-pass"

    client = load_config(config_dir, env).clients["acme"]

    assert client.inbox is not None
    assert client.inbox.ca_file == str((config_dir / "certs" / "mail-ca.pem").resolve())


def test_a_ca_file_that_is_not_there_is_located(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text + INBOX + "  ca_file: certs/missing.pem\n")
    env["ACME_INBOX_PASSWORD"] = "inbox-pass"

    [problem] = problems(config_dir, env)

    assert problem.startswith("config/clients/acme.yaml: inbox.ca_file: no such file: ")
    assert problem.endswith("missing.pem (line 16)")
