"""Moneybird's `moneybird:` section as a platform for the configuration tests only.

The product does not register Moneybird yet (adapters/moneybird/__init__.py says why), so a test
that wants the config loader to validate a ``platform: moneybird`` client file installs this
object through an entry point on ``sys.path``, the way `tiny_platform` is installed. It validates
the section with the real `MoneybirdSettings`; building a ledger or logging in is refused.
"""

from __future__ import annotations

from adapters.moneybird.settings import MoneybirdSettings
from connector.domain.ports import Ledger
from connector.platforms import LedgerRequest, LoginRequest, Platform


def _not_yet(what: str) -> NotImplementedError:
    return NotImplementedError(f"Moneybird {what} is not built yet (issue #17)")


def _build_ledger(request: LedgerRequest) -> Ledger:
    raise _not_yet("ledger")


def _login(request: LoginRequest) -> None:
    raise _not_yet("login")


PLATFORM = Platform(
    name="moneybird",
    title="Moneybird",
    settings_model=MoneybirdSettings,
    build_ledger=_build_ledger,
    login=_login,
)
