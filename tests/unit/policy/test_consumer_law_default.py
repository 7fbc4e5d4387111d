"""Consumer law by default (issue #16): a consumer never gets a ladder unfit for consumers, even
when the client file names none (`dunning init` writes `policies: {}`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.config import ConfigError, load_config
from connector.config.models import ClientConfig
from connector.config.policy_select import resolve_client_policies
from connector.domain import ActionKind, CustomerProfile
from connector.policy.consumer import consumer_ladder_problem
from connector.policy.model import Policy

BASE = """\
display_name: Acme
platform: zoho
zoho: {data_center: eu, organization_id: "1", client_id: x, client_secret: "${ACME_SECRET}"}
sender: {name: Acme, email: ar@acme.example}
"""


def client(tmp_path: Path, extra: str = "") -> ClientConfig:
    (tmp_path / "clients").mkdir(exist_ok=True)
    (tmp_path / "connector.yaml").write_text("database_url: sqlite:///x.db\n")
    (tmp_path / "clients" / "acme.yaml").write_text(BASE + extra)
    loaded = load_config(tmp_path, {"ACME_SECRET": "acme-secret"})
    assert "acme" in loaded.clients, loaded.errors
    return loaded.clients["acme"]


def kinds(policy: Policy) -> list[ActionKind]:
    return [s.kind for s in policy.steps]


def test_a_dutch_client_without_a_consumer_ladder_gives_its_consumers_nl_b2c_wik(
    tmp_path: Path,
) -> None:
    policies = resolve_client_policies("acme", client(tmp_path), tmp_path)
    assert policies.default.name == "nl-b2b-standard"
    assert policies.for_profile(CustomerProfile.CONSUMER).name == "nl-b2c-wik"
    assert policies.for_profile(CustomerProfile.BUSINESS).name == "nl-b2b-standard"
    assert policies.consumer_source == "nl-b2c-wik"


def test_elsewhere_consumers_get_the_reminders_only_and_nothing_that_states_a_default(
    tmp_path: Path,
) -> None:
    policies = resolve_client_policies(
        "acme", client(tmp_path, "policy: us-30-60-90\nlanguage: en\n"), tmp_path
    )
    consumer = policies.for_profile(CustomerProfile.CONSUMER)
    assert policies.consumer_source == "reminders-only"
    assert consumer.name == "us-30-60-90 (reminders only)"
    assert ActionKind.HANDOFF not in kinds(consumer)
    assert kinds(consumer) == [
        ActionKind.REMINDER,
        ActionKind.REMINDER,
        ActionKind.FIRM_REMINDER,
    ]
    assert policies.for_profile(CustomerProfile.BUSINESS).name == "us-30-60-90"


def test_a_configured_consumer_ladder_is_used_as_named(tmp_path: Path) -> None:
    policies = resolve_client_policies(
        "acme", client(tmp_path, "policies: {consumer: nl-b2c-wik}\n"), tmp_path
    )
    assert policies.for_profile(CustomerProfile.CONSUMER).name == "nl-b2c-wik"
    assert policies.consumer_source == "configured"


@pytest.mark.parametrize("name", ["nl-b2b-standard", "us-30-60-90"])
def test_a_consumer_ladder_that_states_a_default_or_hands_off_before_the_letter_is_refused(
    tmp_path: Path, name: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_client_policies(
            "acme", client(tmp_path, f"policies: {{consumer: {name}}}\n"), tmp_path
        )
    assert caught.value.key_path == "policies.consumer"
    assert "fourteen-day letter" in str(caught.value)


def test_a_notice_of_default_before_the_letter_makes_a_ladder_unfit_for_consumers(
    tmp_path: Path,
) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "soft.yaml").write_text(
        "name: soft\nsteps:\n"
        "  - {id: r, kind: reminder, days: 7, template: reminder}\n"
        "  - {id: n, kind: notice_of_default, days: 30, template: notice_of_default}\n"
    )
    policies = resolve_client_policies("acme", client(tmp_path, "policy: soft\n"), tmp_path)
    problem = consumer_ladder_problem(policies.default)
    assert problem is not None and "notice of default" in problem
    # a Dutch client: consumers get the built-in consumer ladder instead
    assert policies.for_profile(CustomerProfile.CONSUMER).name == "nl-b2c-wik"


def test_a_ladder_without_costly_steps_serves_consumers_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "gentle.yaml").write_text(
        "name: gentle\nsteps:\n  - {id: r, kind: reminder, days: 7, template: reminder}\n"
    )
    policies = resolve_client_policies("acme", client(tmp_path, "policy: gentle\n"), tmp_path)
    assert policies.for_profile(CustomerProfile.CONSUMER).name == "gentle"
    assert policies.consumer_source == "default"
