"""`payment_plans:` in a client file (issue #14): the limits of a plan a customer may propose on
their own page. Defaults when absent; a mistake names the file, the key and the line."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from connector.config import load_config

Writer = Callable[[str, str], Path]


def test_without_the_section_plans_need_approval_within_the_default_limits(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write("clients/acme.yaml", client_text)
    plans = load_config(config_dir, env).clients["acme"].payment_plans
    assert plans.enabled and plans.max_instalments == 6 and plans.auto_approve_below == 0
    assert (plans.min_instalment, plans.max_days, plans.start_within_days) == (
        Decimal("50"),
        180,
        30,
    )


def test_the_limits_are_read_from_the_client_file(
    config_dir: Path, write: Writer, client_text: str, env: dict[str, str]
) -> None:
    write(
        "clients/acme.yaml",
        client_text + "payment_plans:\n  max_instalments: 3\n  auto_approve_below: '1500'\n",
    )
    plans = load_config(config_dir, env).clients["acme"].payment_plans
    assert plans.max_instalments == 3 and plans.auto_approve_below == Decimal("1500")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            "payment_plans:\n  max_instalments: 1\n",
            "payment_plans.max_instalments: Input should be greater than or equal to 2",
        ),
        (
            "payment_plans:\n  min_instalment: -5\n",
            "payment_plans.min_instalment: Input should be greater than or equal to 0",
        ),
        (
            "payment_plans:\n  max_instalment: 4\n",
            "payment_plans.max_instalment: unknown key (did you mean 'max_instalments'?)",
        ),
        (
            "payment_plans:\n  max_days: 30\n  start_within_days: 30\n",
            "payment_plans: start_within_days (30) must be less than max_days (30)",
        ),
    ],
)
def test_a_mistake_names_the_file_the_key_and_the_line(
    config_dir: Path,
    write: Writer,
    client_text: str,
    env: dict[str, str],
    section: str,
    message: str,
) -> None:
    write("clients/acme.yaml", client_text + section)
    error = load_config(config_dir, env).errors["acme"]
    assert str(error).startswith(f"config/clients/acme.yaml: {message}"), str(error)
    assert error.line is not None and error.line > client_text.count("\n")
