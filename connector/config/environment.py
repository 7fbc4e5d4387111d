"""The process environment: the one module that reads it.

Everything else is handed a mapping (`env`) or the values resolved here, so a test or a worker
passes its own environment and nothing reads `os.environ` behind its caller's back (and nothing
reads it at import time, when a test or benchmark has not set it yet).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta

#: overrides `database_url` of connector.yaml (containers, CI)
ENV_DATABASE_URL = "DATABASE_URL"
#: the secret key(s) for tokens at rest, instead of the key file
ENV_KEY = "DUNNING_SECRET_KEY"
#: the configuration directory when `--config` is not given
ENV_CONFIG_DIR = "DUNNING_CONFIG"
#: seconds a run's lease lasts without renewal (tests that kill workers; fast fail-over)
ENV_RUN_LEASE_SECONDS = "DUNNING_RUN_LEASE_SECONDS"

DEFAULT_RUN_LEASE = timedelta(seconds=90)


def process_env() -> Mapping[str, str]:
    """This process's environment, for the entry points that hand it on."""
    return os.environ


def utf8_for_children() -> None:
    """Python child processes (and this one's re-executions) print UTF-8 whatever the locale:
    CLI output holds customer names and amounts with currency signs."""
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")


def database_url(configured: str, env: Mapping[str, str]) -> str:
    """`DATABASE_URL` in the environment overrides the configured URL."""
    return env.get(ENV_DATABASE_URL) or configured


def run_lease_ttl(env: Mapping[str, str]) -> timedelta:
    """How long a run's lease lasts unrenewed (renewed every third of it while the run lives)."""
    value = env.get(ENV_RUN_LEASE_SECONDS)
    return timedelta(seconds=float(value)) if value else DEFAULT_RUN_LEASE
