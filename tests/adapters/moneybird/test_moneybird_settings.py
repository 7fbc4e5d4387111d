"""The client file's `moneybird:` section, validated by the config loader with file, key and line
(Moneybird is a registered platform: pyproject's entry point)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.moneybird.settings import MoneybirdSettings
from connector.config import ConfigError, load_client
from connector.platforms import registry

CLIENT = """\
display_name: Vogel Installaties B.V.
platform: moneybird
moneybird:
  administration_id: 123456789012345678
  client_id: ${VOGEL_CLIENT_ID}
  client_secret: ${VOGEL_CLIENT_SECRET}
sender: {name: Vogel Installaties, email: debiteuren@vogel.example}
mail: {smtp_host: smtp.vogel.example, from: debiteuren@vogel.example}
"""
ENV = {"VOGEL_CLIENT_ID": "app-id", "VOGEL_CLIENT_SECRET": "very-secret-value"}
LITERAL = "hunter2-literal-secret"


@pytest.fixture
def config_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "config"
    (folder / "clients").mkdir(parents=True)
    (folder / "connector.yaml").write_text("timezone: Europe/Amsterdam\n")
    registry.refresh()
    yield folder
    registry.refresh()


def load(config_dir: Path, text: str) -> MoneybirdSettings:
    (config_dir / "clients" / "vogel.yaml").write_text(text)
    client = load_client(config_dir, "vogel", ENV)
    return MoneybirdSettings.of(client)


def error(config_dir: Path, text: str) -> str:
    with pytest.raises(ConfigError) as raised:
        load(config_dir, text)
    message = str(raised.value)
    assert LITERAL not in message and "very-secret-value" not in message
    return message.removeprefix(f"{config_dir}/clients/vogel.yaml: ")


def test_a_client_file_names_the_administration_and_the_app_with_the_secret_from_the_env(
    config_dir: Path,
) -> None:
    settings = load(config_dir, CLIENT)
    assert settings.administration_id == "123456789012345678"  # YAML's number kept as text
    assert settings.client_id == "app-id"
    assert settings.client_secret.get_secret_value() == "very-secret-value"
    assert settings.effective_api_url == "https://moneybird.com/api/v2"
    assert settings.effective_accounts_url == "https://moneybird.com"


def test_a_client_secret_written_in_the_file_is_refused_with_its_line(config_dir: Path) -> None:
    text = CLIENT.replace("${VOGEL_CLIENT_SECRET}", LITERAL)
    assert error(config_dir, text) == (
        "moneybird.client_secret: a secret must not be written in the file: use an environment "
        "reference such as ${ACME_CLIENT_SECRET} and set that variable (line 6)"
    )


def test_an_administration_id_that_is_not_digits_is_explained_with_its_line(
    config_dir: Path,
) -> None:
    text = CLIENT.replace("123456789012345678", "vogel-installaties")
    assert error(config_dir, text) == (
        "moneybird.administration_id: expected the administration id: digits only (the number "
        "after moneybird.com/ when the administration is open) (line 4)"
    )


def test_a_missing_client_id_points_at_the_section(config_dir: Path) -> None:
    text = CLIENT.replace("  client_id: ${VOGEL_CLIENT_ID}\n", "")
    assert error(config_dir, text).startswith("moneybird.client_id: ")


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (
            "https://moneybird.com.evil.example",
            "not Moneybird's host: expected https:// with one of moneybird.com "
            "(or a sandbox on this machine)",
        ),
        (
            "http://moneybird.com",
            "must be https:// (plain http only for a sandbox on this machine: localhost, "
            "127.0.0.1, ::1)",
        ),
        ("http://127.0.0.1:8090/api/v2", "leave off /api/v2: it is appended"),
    ],
)
def test_an_api_url_may_only_name_moneybird_or_a_sandbox_on_this_machine(
    config_dir: Path, url: str, message: str
) -> None:
    text = CLIENT.replace("  client_id:", f"  api_url: {url}\n  client_id:")
    assert error(config_dir, text) == f"moneybird.api_url: {message} (line 5)"


def test_an_accounts_url_elsewhere_is_refused_too(config_dir: Path) -> None:
    text = CLIENT.replace("  client_id:", "  accounts_url: https://login.example\n  client_id:")
    assert error(config_dir, text).startswith("moneybird.accounts_url: not Moneybird's host")


def test_a_sandbox_on_this_machine_overrides_both_and_api_v2_is_appended(
    config_dir: Path,
) -> None:
    text = CLIENT.replace(
        "  client_id:",
        "  api_url: http://127.0.0.1:8090\n  accounts_url: http://localhost:8090/\n  client_id:",
    )
    settings = load(config_dir, text)
    assert settings.effective_api_url == "http://127.0.0.1:8090/api/v2"
    assert settings.effective_accounts_url == "http://localhost:8090"
    official = CLIENT.replace("  client_id:", "  api_url: https://moneybird.com\n  client_id:")
    assert load(config_dir, official).effective_api_url == "https://moneybird.com/api/v2"
