"""What `dunning init` writes, and the example configuration shipped in the repository."""

from __future__ import annotations

import re
import stat
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel
from repo import REPO

from adapters.zoho.settings import ZohoSettings
from connector.config import ClientConfig, ConnectorConfig, load_client, load_config
from connector.config.sample import CLIENT_SAMPLE, CONNECTOR_SAMPLE, init_config, write_sample


def test_the_sample_written_by_init_loads_cleanly(tmp_path: Path) -> None:
    written = write_sample(tmp_path / "cfg")

    loaded = load_config(tmp_path / "cfg", {})  # no ZOHO_* variables set

    assert written == [tmp_path / "cfg" / "connector.yaml", tmp_path / "cfg/clients/example.yaml"]
    assert loaded.errors == {}
    assert loaded.clients["example"].enabled is False
    assert loaded.clients["example"].platform == "zoho"
    assert loaded.unresolved["example"] == (
        "zoho.client_id (ZOHO_CLIENT_ID)",
        "zoho.client_secret (ZOHO_CLIENT_SECRET)",
    )


def test_the_sample_client_works_once_enabled_with_its_variables_set(tmp_path: Path) -> None:
    write_sample(tmp_path)
    path = tmp_path / "clients" / "example.yaml"
    path.write_text(path.read_text().replace("enabled: false", "enabled: true"))

    with pytest.raises(Exception, match="ZOHO_CLIENT_ID is not set"):
        load_client(tmp_path, "example", {})
    env = {"ZOHO_CLIENT_ID": "1000.ID", "ZOHO_CLIENT_SECRET": "secret"}
    client = load_client(tmp_path, "example", env)
    assert ZohoSettings.of(client).client_id == "1000.ID"
    assert ZohoSettings.of(client).effective_api_url == "https://www.zohoapis.eu/books/v3"


def test_the_sample_files_are_private(tmp_path: Path) -> None:
    for path in write_sample(tmp_path / "cfg"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_init_never_overwrites_and_fills_in_only_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "clients").mkdir()
    (tmp_path / "clients" / "acme.yaml").write_text("mine\n")

    assert write_sample(tmp_path) == [tmp_path / "connector.yaml"]

    assert (tmp_path / "clients" / "acme.yaml").read_text() == "mine\n"
    assert not (tmp_path / "clients" / "example.yaml").exists(), "an example beside a client"
    assert write_sample(tmp_path) == []
    written = init_config(tmp_path)
    assert written == [tmp_path / "secret.key"]
    with pytest.raises(FileExistsError, match="nothing to write"):
        init_config(tmp_path)


def test_init_key_only_writes_the_key_the_configuration_names(tmp_path: Path) -> None:
    (tmp_path / "connector.yaml").write_text("secret_key_file: keys/main.key\n")
    assert init_config(tmp_path, key_only=True) == [tmp_path / "keys" / "main.key"]
    assert (tmp_path / "keys" / "main.key").stat().st_mode & 0o777 == 0o600
    assert not (tmp_path / "clients").exists()


def _keys(model: type[BaseModel]) -> set[str]:
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        keys.add(info.alias or name)
        for arg in (info.annotation, *typing.get_args(info.annotation)):
            for inner in (arg, *typing.get_args(arg)):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    keys |= _keys(inner)
    return keys


@pytest.mark.parametrize(
    ("model", "text"), [(ConnectorConfig, CONNECTOR_SAMPLE), (ClientConfig, CLIENT_SAMPLE)]
)
def test_the_sample_documents_every_key(model: type[BaseModel], text: str) -> None:
    missing = {
        key for key in _keys(model) if not re.search(rf"^[\s#]*{re.escape(key)}:", text, re.M)
    }
    assert missing == set()


def test_the_example_configuration_in_the_repository_loads_cleanly() -> None:
    loaded = load_config(REPO / "config.example", {})

    assert loaded.errors == {}
    assert sorted(loaded.clients) == ["acme-zoho"]
    assert loaded.clients["acme-zoho"].enabled is False
