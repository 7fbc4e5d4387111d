"""The receipt check in a policy file (issue #14): `receipt_check: {days, min_total, channel,
template}` beside the steps, validated with file, key and line like the rest of the ladder."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connector.config import ConfigError
from connector.config.policy_schema import known_templates, load_policy_file
from connector.domain import Channel
from connector.policy.model import ReceiptCheck

LADDER = """\
name: mine
steps:
  - {id: reminder, kind: reminder, days: 7, template: reminder}
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(body)
    return path


def test_a_policy_without_a_receipt_check_has_none(tmp_path: Path) -> None:
    assert load_policy_file(write(tmp_path, LADDER)).receipt_check is None


def test_a_receipt_check_is_a_call_task_with_its_own_template_unless_told(tmp_path: Path) -> None:
    body = LADDER + "receipt_check: {days: 3, min_total: 5000}\n"
    check = load_policy_file(write(tmp_path, body)).receipt_check
    assert check == ReceiptCheck(3, Decimal("5000"), "receipt_check", Channel.TASK)


def test_a_receipt_check_may_be_a_mail(tmp_path: Path) -> None:
    body = LADDER + "receipt_check: {days: 5, min_total: 2500.50, channel: smtp}\n"
    check = load_policy_file(write(tmp_path, body)).receipt_check
    assert check is not None and check.channel is Channel.SMTP
    assert check.min_total == Decimal("2500.50")


def test_the_receipt_check_template_ships_in_dutch_and_english() -> None:
    assert "receipt_check" in known_templates()


@pytest.mark.parametrize(
    ("tail", "key", "words"),
    [
        ("receipt_check: {days: -1, min_total: 5000}\n", "receipt_check.days", "greater than"),
        ("receipt_check: {days: 3}\n", "receipt_check.min_total", "required"),
        (
            "receipt_check: {days: 3, min_total: 1, channel: flag}\n",
            "receipt_check.channel",
            "Input should be",
        ),
        (
            "receipt_check:\n  days: 3\n  min_total: 1\n  template: nudge\n",
            "receipt_check.template",
            "unknown template 'nudge'",
        ),
    ],
)
def test_mistakes_are_reported_with_file_key_and_line(
    tmp_path: Path, tail: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_policy_file(write(tmp_path, LADDER + tail))
    problem = caught.value
    assert problem.key_path == key, str(problem)
    assert words in problem.message
    assert problem.line is not None


def test_the_receipt_checks_step_id_is_not_free_for_the_ladder(tmp_path: Path) -> None:
    body = LADDER.replace("id: reminder", "id: receipt-check")
    with pytest.raises(ConfigError) as caught:
        load_policy_file(write(tmp_path, body))
    assert caught.value.key_path == "steps.0.id"
    assert "kept for the receipt check" in caught.value.message
