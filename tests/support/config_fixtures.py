"""Fixtures for configuration tests: a config directory under a temporary working directory, so
errors show the same relative paths an operator would see (``config/clients/acme.yaml``)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

VALID_CLIENT = """\
display_name: Acme B.V.
platform: zoho
zoho:
  data_center: eu
  organization_id: "20061234567"
  client_id: ${ACME_CLIENT_ID}
  client_secret: ${ACME_CLIENT_SECRET}
sender:
  name: Acme
  email: ar@acme.example
"""

ENV = {"ACME_CLIENT_ID": "1000.ACMEID", "ACME_CLIENT_SECRET": "acme-very-secret-value"}

Writer = Callable[[str, str], Path]


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config" / "clients").mkdir(parents=True)
    (tmp_path / "config" / "connector.yaml").write_text("timezone: Europe/Amsterdam\n")
    return Path("config")


@pytest.fixture
def write(config_dir: Path) -> Writer:
    """write("clients/acme.yaml", text) -> the path, with `text` dedented."""

    def _write(name: str, text: str) -> Path:
        path = config_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    return _write


@pytest.fixture
def client_text() -> str:
    """A minimal valid Zoho client file (uses ${ACME_CLIENT_ID} and ${ACME_CLIENT_SECRET})."""
    return VALID_CLIENT


@pytest.fixture
def env() -> dict[str, str]:
    return dict(ENV)
