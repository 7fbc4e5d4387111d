"""Policies as YAML: the built-ins, validation with file/key/line, and per-client selection."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connector.config import ConfigError
from connector.config.models import ClientConfig
from connector.config.policy_builtin import BUILTIN, NL_B2B_STANDARD, get_policy
from connector.config.policy_schema import known_templates, load_policy_file
from connector.config.policy_select import resolve_client_policies
from connector.domain import ActionKind, Channel, CustomerProfile
from connector.policy.model import Policy, Step

#: the ladder of the first slice, hand-written; the YAML built-in must be exactly this
SLICE_LADDER = Policy(
    name="nl-b2b-standard",
    steps=(
        Step("reminder", ActionKind.REMINDER, 7, "reminder", with_statement=True),
        Step("call-1", ActionKind.CALL_TASK, 14, "call"),
        Step("firm-reminder", ActionKind.FIRM_REMINDER, 21, "firm_reminder", with_statement=True),
        Step("call-2", ActionKind.CALL_TASK, 28, "call"),
        Step("notice-of-default", ActionKind.NOTICE_OF_DEFAULT, 35, "notice_of_default"),
        Step("handoff", ActionKind.HANDOFF, 49, "handoff"),
    ),
    description=NL_B2B_STANDARD.description,
)


def test_the_four_builtins_ship_in_the_package() -> None:
    assert set(BUILTIN) == {"nl-b2b-standard", "nl-b2c-wik", "nl-government", "us-30-60-90"}


def test_nl_b2b_standard_is_exactly_the_ladder_of_the_first_slice() -> None:
    assert get_policy("nl-b2b-standard") == SLICE_LADDER


def test_nl_b2c_wik_ends_with_the_fourteen_day_letter_before_the_handoff() -> None:
    kinds = [s.kind for s in BUILTIN["nl-b2c-wik"].steps]
    assert ActionKind.NOTICE_OF_DEFAULT not in kinds
    assert kinds.index(ActionKind.FOURTEEN_DAY_LETTER) < kinds.index(ActionKind.HANDOFF)
    handoff = BUILTIN["nl-b2c-wik"].steps[-1]
    letter = next(
        s for s in BUILTIN["nl-b2c-wik"].steps if s.kind is ActionKind.FOURTEEN_DAY_LETTER
    )
    assert handoff.offset_days - letter.offset_days >= 19, "the term (14 days + delivery) first"


def test_nl_government_is_longer_and_charges_nothing() -> None:
    gov = BUILTIN["nl-government"]
    assert gov.steps[-1].offset_days > NL_B2B_STANDARD.steps[-1].offset_days
    kinds = {s.kind for s in gov.steps}
    assert not kinds & {
        ActionKind.NOTICE_OF_DEFAULT,
        ActionKind.FOURTEEN_DAY_LETTER,
        ActionKind.HANDOFF,
    }
    assert all(s.late_fee is None for s in gov.steps)


def test_us_30_60_90_stops_business_at_90_days() -> None:
    us = BUILTIN["us-30-60-90"]
    assert [s.offset_days for s in us.steps] == [1, 30, 60, 90]
    assert us.steps[-1].kind is ActionKind.HANDOFF


def test_relative_offsets_are_resolved_against_the_previous_step() -> None:
    wik = BUILTIN["nl-b2c-wik"]
    call = next(s for s in wik.steps if s.id == "call")
    assert call.after_previous == 7 and call.offset_days == 35


def write(tmp_path: Path, body: str, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


GOOD = """\
name: mine
steps:
  - {id: heads-up, kind: pre_due_notice, days: -3, template: pre_due_notice}
  - id: reminder
    kind: reminder
    days: 7
    template: reminder
    channel: smtp
    late_fee: {percent: 2}
  - id: call
    kind: call_task
    days: 5
    from: previous
    template: call
    when: {min_balance: 500, profiles: [business], currencies: [EUR]}
"""


def test_a_valid_file_converts_with_conditions_fees_and_channels(tmp_path: Path) -> None:
    policy = load_policy_file(write(tmp_path, GOOD))
    heads_up, reminder, call = policy.steps
    assert heads_up.offset_days == -3
    assert reminder.channel is Channel.SMTP and reminder.late_fee is not None
    assert reminder.late_fee.percent == Decimal("2")
    assert call.offset_days == 12
    assert call.conditions.min_balance == Decimal("500")
    assert call.conditions.profiles == frozenset({CustomerProfile.BUSINESS})


@pytest.mark.parametrize(
    ("body", "key", "words"),
    [
        (GOOD.replace("days: 7", "days: -5"), "steps.1.days", "in order"),
        (GOOD.replace("days: 7", "days: -3"), "steps.1.days", "one per day"),
        (
            GOOD.replace("template: reminder", "template: nudge"),
            "steps.1.template",
            "unknown template 'nudge'",
        ),
        (GOOD.replace("kind: reminder", "kind: sms_blast"), "steps.1.kind", "Input should be"),
        (GOOD.replace("kind: reminder", "kind: thank_you"), "steps.1.kind", "Input should be"),
        (
            GOOD.replace("channel: smtp", "channel: task"),
            "steps.1.channel",
            "cannot use channel task",
        ),
        (GOOD.replace("id: call", "id: reminder"), "steps.2.id", "used twice"),
        (GOOD.replace("days: 5", "days: 0"), "steps.2.days", "at least 1 day later"),
        (
            GOOD.replace("{percent: 2}", "{percent: 2, fixed: 5}"),
            "steps.1.late_fee.percent",
            "exactly one",
        ),
        (
            GOOD.replace("profiles: [business]", "profiles: [vip]"),
            "steps.2.when.profiles.0",
            "Input should be",
        ),
        (
            GOOD.replace("template: call", "template: call\n    colour: red"),
            "steps.2.colour",
            "unknown key",
        ),
    ],
)
def test_mistakes_are_reported_with_file_key_and_line(
    tmp_path: Path, body: str, key: str, words: str
) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        load_policy_file(path)
    problem = caught.value
    assert problem.file == path
    assert problem.key_path == key, str(problem)
    assert words in problem.message
    assert problem.line is not None and f"(line {problem.line})" in str(problem)


def test_the_first_step_cannot_count_from_a_previous_one(tmp_path: Path) -> None:
    body = GOOD.replace(
        "days: -3, template: pre_due_notice}", "days: 3, from: previous, template: pre_due_notice}"
    )
    with pytest.raises(ConfigError, match=r"steps\.0\.from: the first step has no previous"):
        load_policy_file(write(tmp_path, body))


def test_every_known_template_exists_in_dutch_and_english() -> None:
    names = known_templates()
    assert {
        "reminder",
        "firm_reminder",
        "notice_of_default",
        "fourteen_day_letter",
        "call",
        "handoff",
        "statement",
        "pre_due_notice",
        "thank_you",
    } <= names
    assert "_macros" not in names


# -- per client ---------------------------------------------------------------------------
def client(**extra: object) -> ClientConfig:
    return ClientConfig.model_validate(
        {
            "display_name": "Acme",
            "platform": "zoho",
            "zoho": {
                "data_center": "eu",
                "organization_id": "1",
                "client_id": "x",
                "client_secret": "y",
            },
            "sender": {"name": "Acme", "email": "ar@acme.example"},
            **extra,
        }
    )


def test_a_client_maps_profiles_to_their_own_ladders(tmp_path: Path) -> None:
    chosen = resolve_client_policies(
        "acme", client(policies={"consumer": "nl-b2c-wik", "government": "nl-government"}), tmp_path
    )
    assert chosen.default.name == "nl-b2b-standard"
    assert chosen.for_profile(CustomerProfile.CONSUMER).name == "nl-b2c-wik"
    assert chosen.for_profile(CustomerProfile.GOVERNMENT).name == "nl-government"
    assert chosen.for_profile(CustomerProfile.BUSINESS).name == "nl-b2b-standard"


def test_a_client_may_name_its_own_policy_file_and_overrides_apply(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    write(tmp_path / "policies", GOOD)
    chosen = resolve_client_policies(
        "acme", client(policy="mine", policy_overrides={"thank_you": "never"}), tmp_path
    )
    assert chosen.default.name == "mine" and chosen.default.thank_you == "never"
    by_path = resolve_client_policies("acme", client(policy="policies/mine.yaml"), tmp_path)
    assert by_path.default.name == "mine"


def test_a_broken_client_policy_file_names_that_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    broken = write(tmp_path / "policies", GOOD.replace("template: call", "template: ring"))
    with pytest.raises(ConfigError) as caught:
        resolve_client_policies("acme", client(policy="mine"), tmp_path)
    assert caught.value.file == broken and caught.value.key_path == "steps.2.template"


def test_an_unknown_policy_name_points_at_the_client_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_client_policies("acme", client(policies={"government": "nl-gov"}), tmp_path)
    assert caught.value.key_path == "policies.government"
    assert caught.value.file == tmp_path / "clients" / "acme.yaml"


def test_a_consumer_ladder_must_send_the_fourteen_day_letter_before_handing_off(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigError, match="without a fourteen-day letter") as caught:
        resolve_client_policies("acme", client(policies={"consumer": "nl-b2b-standard"}), tmp_path)
    assert caught.value.key_path == "policies.consumer"


def test_client_config_rejects_an_unknown_profile_key() -> None:
    with pytest.raises(ValueError, match="policies"):
        client(policies={"vip": "nl-b2b-standard"})
