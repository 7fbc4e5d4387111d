"""The `payments:` section of a client file (issue #14): Mollie's API key only as an environment
reference (a literal one is refused with file, key and line, and never repeated), the API host
Mollie's own or a sandbox on this machine, the webhook URL https."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from connector.config import load_config
from connector.config.models import PaymentSettings

Writer = Callable[[str, str], Path]
EXACT = """\
display_name: Beta
platform: exact
exact:
  country: nl
  division: 1234567
  client_id: abc
  client_secret: ${BETA_SECRET}
mail:
  smtp_host: smtp.example.com
  from: ar@beta.example
sender: {name: Beta, email: ar@beta.example}
"""
LITERAL = "live_hunter2literalkey"
ENV = {"BETA_SECRET": "b-secret", "MOLLIE_API_KEY": "test_fromtheenvironment"}


def problems(config_dir: Path) -> list[str]:
    loaded = load_config(config_dir, ENV)
    assert "beta" not in loaded.clients
    found = [p.describe() for p in loaded.errors["beta"].problems]
    assert all(LITERAL not in m for m in found)
    return found


def test_a_mollie_section_with_the_key_from_the_environment_is_read(
    config_dir: Path, write: Writer
) -> None:
    write(
        "clients/beta.yaml",
        EXACT + "payments:\n  provider: mollie\n  api_key: ${MOLLIE_API_KEY}\n"
        "  webhook_url: https://hooks.beta.example/mollie/webhook/beta\n",
    )
    payments = load_config(config_dir, ENV).clients["beta"].payments
    assert isinstance(payments, PaymentSettings)
    assert payments.api_key.get_secret_value() == "test_fromtheenvironment"
    assert "test_fromtheenvironment" not in repr(payments)
    assert payments.pending_days == 7 and payments.api_url is None


def test_a_literal_api_key_is_refused_with_file_key_and_line(
    config_dir: Path, write: Writer
) -> None:
    write("clients/beta.yaml", EXACT + f"payments:\n  provider: mollie\n  api_key: {LITERAL}\n")
    assert problems(config_dir) == [
        "config/clients/beta.yaml: payments.api_key: a secret must not be written in the file: "
        "use an environment reference such as ${ACME_CLIENT_SECRET} and set that variable (line 14)"
    ]


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("  api_url: https://api.mollie.com.evil.example\n", "payments.api_url"),
        ("  webhook_url: http://hooks.beta.example/mollie/webhook/beta\n", "payments.webhook_url"),
        ("  provider: stripe\n", "payments.provider"),
    ],
)
def test_hosts_that_are_not_mollies_and_plain_http_are_refused(
    config_dir: Path, write: Writer, line: str, key: str
) -> None:
    section = "payments:\n  provider: mollie\n  api_key: ${MOLLIE_API_KEY}\n"
    if "provider" in line:
        section = section.replace("  provider: mollie\n", line)
    else:
        section += line
    write("clients/beta.yaml", EXACT + section)
    [problem] = problems(config_dir)
    assert problem.startswith(f"config/clients/beta.yaml: {key}: ")
