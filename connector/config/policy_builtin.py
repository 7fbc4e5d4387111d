"""Built-in policies, shipped as YAML inside the package (`connector/policy/ladders/*.yaml`).

Loaded here, in the configuration layer, so the pure `connector.policy` package reads no files.

They are read with `importlib.resources`, so they work from a wheel as well as from a checkout,
and they go through the same validation as a consultant's own policy file. Built-ins:

* ``nl-b2b-standard``: the usual Dutch B2B sequence (dunning-and-law.md);
* ``nl-b2c-wik``: consumers, ending in the fourteen-day letter before any collection costs;
* ``nl-government``: longer and gentler, no costs;
* ``us-30-60-90``: past due, 30, 60, stop of business at 90 days.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path

from connector.config.policy_schema import load_policy_file
from connector.policy.model import Policy, PolicyError, ThankYou, with_overrides

LADDERS_PACKAGE = "connector.policy"
LADDERS_DIR = "ladders"


@lru_cache(maxsize=1)
def builtin_policies() -> dict[str, Policy]:
    """Every built-in policy by name (validated once per process)."""
    out: dict[str, Policy] = {}
    folder = resources.files(LADDERS_PACKAGE) / LADDERS_DIR
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".yaml"):
            continue
        with resources.as_file(entry) as path:
            policy = load_policy_file(Path(path), expect_name=entry.name.removesuffix(".yaml"))
        out[policy.name] = policy
    return out


BUILTIN: dict[str, Policy] = builtin_policies()
NL_B2B_STANDARD = BUILTIN["nl-b2b-standard"]


def get_policy(
    name: str, *, min_balance: Decimal | None = None, thank_you: ThankYou | None = None
) -> Policy:
    """A built-in policy by name, with the client's overrides applied."""
    try:
        policy = BUILTIN[name]
    except KeyError:
        raise PolicyError(
            f"unknown policy {name!r}; built-in policies: {', '.join(sorted(BUILTIN))}"
        ) from None
    return with_overrides(policy, min_balance=min_balance, thank_you=thank_you)
