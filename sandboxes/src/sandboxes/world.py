"""The sandbox world the demo, the end-to-end tests and the benchmarks run in, for any platform.

A world starts a platform's fake on loopback, writes a real configuration directory pointing at
it (host overrides, ``${ENV}`` secrets), opens the real `App` on SQLite (or a given database URL)
and stores a token as a finished consent would. Time is one `ManualClock` shared by the fake and
the connector: a simulated day is `clock.set`, and rate-limit waits advance it instead of
sleeping.

`SandboxWorld.create(root, platform="exact", ...)` finds the platform's world by name in
`PLATFORMS` (module ``sandboxes.<name>.world``, class `World`), not through the product's
registry: the fakes are test equipment, and the product does not know about them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, overload
from zoneinfo import ZoneInfo

from connector.app import App
from connector.domain.clock import ManualClock
from connector.run import RunResult, run_tenant
from connector.store import outbox
from connector.store.db import session_scope
from connector.tenant import Tenant
from sandboxes.kit.clock import ZONE
from sandboxes.kit.server import LoopbackServer

if TYPE_CHECKING:
    from sandboxes.exact.world import ExactWorld
    from sandboxes.moneybird.world import MoneybirdWorld
    from sandboxes.zoho.world import ZohoWorld

__all__ = ["PLATFORMS", "ZONE", "SandboxWorld", "UnknownPlatform", "local_moment", "world_class"]

#: platform name -> the module whose `World` class runs that platform's fake
PLATFORMS = {
    "zoho": "sandboxes.zoho.world",
    "exact": "sandboxes.exact.world",
    "moneybird": "sandboxes.moneybird.world",
}


def local_moment(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), ZoneInfo(ZONE))


class UnknownPlatform(ValueError):
    """No sandbox of that name; the message lists the ones there are."""


def world_class(platform: str) -> type[SandboxWorld]:
    try:
        module = PLATFORMS[platform]
    except KeyError:
        raise UnknownPlatform(
            f"demo platform {platform!r} is not available ({', '.join(PLATFORMS)})"
        ) from None
    world: type[SandboxWorld] = importlib.import_module(module).World
    return world


@dataclass
class SandboxWorld:
    """A platform's fake on loopback plus a connector configured against it.

    What every platform's world offers tests, demos and benches: build a client's tenant once,
    run it as of a moment on the world's clock, read its outbox. A platform's world adds its
    fake's state and what the demo needs to know of it (the hooks below).
    """

    #: the platform's name in configuration files and on the command line
    platform: ClassVar[str]
    #: the platform as people know it, for the demo's report
    label: ClassVar[str]
    #: the demo's console summary names the sample files before the report (Exact) or after
    #: it (Zoho), as each platform's demo printed it before the two were merged
    samples_before_report: ClassVar[bool] = False

    root: Path
    clock: ManualClock
    server: LoopbackServer
    app: App
    env: dict[str, str]
    _tenants: dict[str, Tenant] = field(default_factory=dict, init=False, repr=False)

    @overload
    @classmethod
    def create(
        cls, root: Path, *, platform: Literal["zoho"] = "zoho", **options: Any
    ) -> ZohoWorld: ...

    @overload
    @classmethod
    def create(cls, root: Path, *, platform: Literal["exact"], **options: Any) -> ExactWorld: ...

    @overload
    @classmethod
    def create(
        cls, root: Path, *, platform: Literal["moneybird"], **options: Any
    ) -> MoneybirdWorld: ...

    @overload
    @classmethod
    def create(cls, root: Path, *, platform: str, **options: Any) -> SandboxWorld: ...

    @classmethod
    def create(cls, root: Path, *, platform: str = "zoho", **options: Any) -> SandboxWorld:
        """The world of the platform named `platform`, opened with `options` (see `open`); a
        platform's own class is opened directly with its `open`."""
        if cls is not SandboxWorld:
            raise TypeError(f"{cls.__name__}.create: use {cls.__name__}.open(...)")
        return world_class(platform).open(root, **options)

    @classmethod
    def open(
        cls,
        root: Path,
        *,
        start: datetime,
        seed: int = 7,
        slugs: Sequence[str] = ("demo",),
        limits: Any = None,
        database_url: str | None = None,
        populate: Any = None,
        connect: bool = True,
        client_overrides: dict[str, str] | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> Self:
        """Start the fake, seed it (`populate`, default: the demo ledger), write the client
        files (one per slug, `client_overrides[slug]` appended), open the `App` (with
        `extra_env` beside the fake's own variables, e.g. a secret a client override refers
        to) and, with `connect`, store each client's token. `limits` and `populate` are the
        platform's own."""
        raise NotImplementedError

    # -- driving the connector ------------------------------------------------------------
    def tenant(self, slug: str = "demo") -> Tenant:
        if slug not in self._tenants:
            self._tenants[slug] = self.app.tenant(slug, self.clock)
        return self._tenants[slug]

    def reload(self) -> None:
        """Forget built tenants (after a config or token change)."""
        self._tenants.clear()

    def run(self, slug: str = "demo", at: datetime | None = None, **kwargs: Any) -> RunResult:
        if at is not None:
            self.clock.set(at)
        return run_tenant(self.tenant(slug), self.clock, **kwargs)

    def actions(self, slug: str = "demo", status: str | None = None) -> list[dict[str, Any]]:
        with session_scope(self.app.engine) as session:
            return outbox.actions(session, slug, status=status)

    def connect(self, slug: str) -> None:
        """Store a token for the client, as `dunning auth login` would after consent."""
        raise NotImplementedError

    def close(self) -> None:
        self.server.stop()
        self.app.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what the demo asks of a platform -------------------------------------------------
    def payments(self, seed: int) -> Callable[[date], object]:
        """The demo client's customers paying by their habits, one simulated day per call."""
        raise NotImplementedError

    def ledger_size(self) -> tuple[int, int]:
        """(customers, invoices) of the demo client's ledger."""
        raise NotImplementedError

    def demo_headline(self, start: date, days: int) -> str:
        raise NotImplementedError

    def demo_facts(self) -> list[str]:
        """What the platform's fake saw, for the demo's summary (mails sent, records written)."""
        raise NotImplementedError

    def mails_after_payment(self) -> list[str]:
        """Every reminder that reached a customer after they had paid, in words."""
        raise NotImplementedError
