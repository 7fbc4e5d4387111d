"""Client files written by the console: validated like the loader reads them, created only when
the name is free, updated key by key (comments kept), secrets only as ${ENV} references."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from config_fixtures import ENV, VALID_CLIENT, Writer

from adapters.exact.settings import ExactSettings
from adapters.zoho.settings import ZohoSettings
from connector.config import ConfigError, load_client, load_config
from connector.config.writer import (
    ClientFileExists,
    create_client_file,
    env_reference,
    update_client_section,
)


def _zoho(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(VALID_CLIENT)
    data.update(changes)
    return data


def test_a_new_client_file_is_written_and_loads_as_written(config_dir: Path) -> None:
    client = create_client_file(config_dir, "acme", _zoho(), ENV, header="Made on the console")
    assert client.display_name == "Acme B.V."
    text = (config_dir / "clients" / "acme.yaml").read_text()
    assert text.startswith("# Made on the console\n")
    assert "${ACME_CLIENT_SECRET}" in text and "acme-very-secret-value" not in text
    assert load_config(config_dir, ENV).clients["acme"].display_name == "Acme B.V."
    assert os.stat(config_dir / "clients" / "acme.yaml").st_mode & 0o777 == 0o600
    assert [p.name for p in (config_dir / "clients").iterdir()] == ["acme.yaml"]


def test_an_existing_client_file_is_never_overwritten(config_dir: Path, write: Writer) -> None:
    write("clients/acme.yaml", "# someone's own file\n" + VALID_CLIENT)
    with pytest.raises(ClientFileExists, match="exists already"):
        create_client_file(config_dir, "acme", _zoho(display_name="Other"), ENV)
    assert (config_dir / "clients" / "acme.yaml").read_text().startswith("# someone's own file")


def test_an_invalid_client_is_refused_with_located_errors_and_nothing_is_written(
    config_dir: Path,
) -> None:
    data = _zoho()
    data["zoho"] = {**data["zoho"], "organization_id": "abc", "data_center": "mars"}
    with pytest.raises(ConfigError) as exc:
        create_client_file(config_dir, "acme", data, ENV)
    lines = [p.describe() for p in exc.value.problems]
    assert lines == [
        "config/clients/acme.yaml: zoho.data_center: Input should be 'com', 'eu', 'in', "
        "'com.au', 'jp', 'ca', 'com.cn' or 'sa' (line 4)",
        "config/clients/acme.yaml: zoho.organization_id: expected the organization id: digits "
        "only (Settings > Profile) (line 5)",
    ]
    assert list((config_dir / "clients").iterdir()) == []


def test_a_secret_written_as_a_value_is_refused(config_dir: Path) -> None:
    data = _zoho()
    data["zoho"] = {**data["zoho"], "client_secret": "plain-secret"}
    with pytest.raises(ConfigError, match="a secret must not be written in the file"):
        create_client_file(config_dir, "acme", data, ENV)
    assert list((config_dir / "clients").iterdir()) == []


def test_a_missing_environment_variable_is_named_for_an_enabled_client(config_dir: Path) -> None:
    with pytest.raises(ConfigError, match="environment variable ACME_CLIENT_SECRET is not set"):
        create_client_file(config_dir, "acme", _zoho(), {"ACME_CLIENT_ID": "x"})
    disabled = create_client_file(config_dir, "acme", _zoho(enabled=False), {})
    assert disabled.unresolved_env


def test_a_bad_name_is_refused(config_dir: Path) -> None:
    with pytest.raises(ConfigError, match="not a valid client name"):
        create_client_file(config_dir, "../evil", _zoho(), ENV)


def test_a_second_client_file_on_the_same_organisation_is_refused(
    config_dir: Path, write: Writer
) -> None:
    write("clients/acme.yaml", VALID_CLIENT)
    with pytest.raises(ConfigError, match=r"already followed by clients/acme\.yaml"):
        create_client_file(config_dir, "acme-2", _zoho(), ENV)


def test_env_reference_accepts_only_a_variable_name() -> None:
    assert env_reference(" ACME_SECRET ") == "${ACME_SECRET}"
    for wrong in ("", "1ABC", "A-B", "${A}", "secret value"):
        with pytest.raises(ValueError, match="name of an environment variable"):
            env_reference(wrong)


EXACT_FILE = """\
# Beta on Exact (comment kept)
display_name: Beta
platform: exact
exact:
  base_url: http://127.0.0.1:9000
  divisions:
  - 11
  - 12
  client_id: abc   # the app
  client_secret: ${BETA_SECRET}
mail:
  smtp_host: smtp.example.com
  from: ar@beta.example
sender:
  name: Beta
  email: ar@beta.example
"""
BETA = {"BETA_SECRET": "s3cret-beta"}


def test_a_section_update_changes_only_its_keys_and_keeps_comments(
    config_dir: Path, write: Writer
) -> None:
    write("clients/beta.yaml", EXACT_FILE)
    client = update_client_section(
        config_dir, "beta", "exact", {"divisions": None, "division": 12}, BETA
    )
    assert ExactSettings.of(client).division_list == (12,)
    text = (config_dir / "clients" / "beta.yaml").read_text()
    assert text == EXACT_FILE.replace("  divisions:\n  - 11\n  - 12\n", "").replace(
        "  client_secret: ${BETA_SECRET}\n", "  client_secret: ${BETA_SECRET}\n  division: 12\n"
    )


def test_a_section_update_replaces_a_value_in_place(config_dir: Path, write: Writer) -> None:
    write("clients/acme.yaml", VALID_CLIENT)
    client = update_client_section(config_dir, "acme", "zoho", {"data_center": "com"}, ENV)
    assert ZohoSettings.of(client).data_center == "com"
    text = (config_dir / "clients" / "acme.yaml").read_text()
    assert text == VALID_CLIENT.replace("data_center: eu", "data_center: com")


def test_an_invalid_update_leaves_the_file_as_it_was(config_dir: Path, write: Writer) -> None:
    write("clients/beta.yaml", EXACT_FILE)
    with pytest.raises(ConfigError, match="not both"):
        update_client_section(config_dir, "beta", "exact", {"division": 12}, BETA)
    assert (config_dir / "clients" / "beta.yaml").read_text() == EXACT_FILE
    assert load_client(config_dir, "beta", BETA).enabled
    assert sorted(p.name for p in (config_dir / "clients").iterdir()) == ["beta.yaml"]
