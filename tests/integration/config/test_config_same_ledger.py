"""Two client files on one Zoho organisation or Exact division would dun the same customers
twice (issue #15): the second (in name order) is refused at load, naming both files; doctor
shows it and a run of it is refused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from connector.app import App, UnknownClient
from connector.config import load_config
from connector.doctor import run_doctor
from connector.domain.clock import ManualClock

Writer = Callable[[str, str], Path]

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

EXACT = """\
display_name: {name}
platform: exact
exact:
  country: nl
  {divisions}
  client_id: ${{ACME_CLIENT_ID}}
  client_secret: ${{ACME_CLIENT_SECRET}}
mail:
  smtp_host: 127.0.0.1
  smtp_port: 2525
  from: ar@acme.example
sender:
  name: Acme
  email: ar@acme.example
"""


def test_a_second_client_file_on_the_same_zoho_organisation_is_refused_naming_both(
    write: Writer, client_text: str, env: dict[str, str], config_dir: Path
) -> None:
    write("clients/acme.yaml", client_text)
    write("clients/acme-copy.yaml", client_text.replace("Acme B.V.", "Acme copy"))
    loaded = load_config(config_dir, env)
    assert list(loaded.clients) == ["acme"]
    error = str(loaded.errors["acme-copy"])
    assert "acme-copy.yaml" in error and "clients/acme.yaml" in error
    assert "20061234567" in error and "twice" in error


def test_a_shared_exact_division_is_refused_even_within_a_list_of_divisions(
    write: Writer, env: dict[str, str], config_dir: Path
) -> None:
    write("clients/alpha.yaml", EXACT.format(name="Alpha", divisions="divisions: [111, 222]"))
    write("clients/beta.yaml", EXACT.format(name="Beta", divisions="division: 222"))
    write("clients/gamma.yaml", EXACT.format(name="Gamma", divisions="division: 333"))
    loaded = load_config(config_dir, env)
    assert sorted(loaded.clients) == ["alpha", "gamma"]
    error = str(loaded.errors["beta"])
    assert "Exact division 222" in error and "clients/alpha.yaml" in error


def test_a_disabled_copy_is_no_conflict(
    write: Writer, client_text: str, env: dict[str, str], config_dir: Path
) -> None:
    write("clients/acme.yaml", client_text)
    write("clients/old.yaml", client_text + "enabled: false\n")
    loaded = load_config(config_dir, env)
    assert sorted(loaded.clients) == ["acme", "old"] and not loaded.errors


def test_doctor_fails_the_second_file_and_a_run_of_it_is_refused(
    write: Writer, client_text: str, env: dict[str, str], config_dir: Path
) -> None:
    write("clients/acme.yaml", client_text)
    write("clients/zz-acme.yaml", client_text)
    env = {**env, "DUNNING_SECRET_KEY": Fernet.generate_key().decode()}
    app = App.open(config_dir, env)
    try:
        lines, ok = run_doctor(app, ManualClock(NOW))
        assert not ok
        assert any(
            line.startswith("FAIL zz-acme") and "clients/acme.yaml" in line for line in lines
        )
        with pytest.raises(UnknownClient, match=r"clients/acme\.yaml"):
            app.tenant("zz-acme", ManualClock(NOW))
    finally:
        app.engine.dispose()
