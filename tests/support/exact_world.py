"""A small Exact sandbox plus a real `ExactLedger` over loopback, for the adapter's tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import Engine

from adapters.exact.adapter import ExactLedger, exact_ledger_from_settings
from adapters.exact.settings import ExactSettings
from connector.domain.clock import ManualClock
from connector.store.crypto import Cipher
from connector.store.tokens import TokenRepository
from sandboxes.exact import ExactState, Limits, make_app
from sandboxes.exact.app import ExactRouter
from sandboxes.exact.generate import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_REDIRECT_URI
from sandboxes.kit import LoopbackServer

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # Monday 09:00 in Amsterdam
DIVISION = 1234567


@dataclass
class CollectingMailer:
    sent: list[EmailMessage] = field(default_factory=list)

    def send(self, msg: Any) -> str:
        self.sent.append(msg)
        return str(msg["Message-ID"])


@dataclass
class ExactWorld:
    clock: ManualClock
    state: ExactState
    app: ExactRouter
    server: LoopbackServer
    tokens: TokenRepository
    mailer: CollectingMailer
    user_id: str
    divisions: tuple[int, ...]

    def settings(self, **extra: Any) -> ExactSettings:
        data: dict[str, Any] = {
            "base_url": self.server.url,
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_CLIENT_SECRET,
        }
        if len(self.divisions) == 1:
            data["division"] = self.divisions[0]
        else:
            data["divisions"] = list(self.divisions)
        data.update(extra)
        return ExactSettings.model_validate(data)

    def connect(self, tenant: str = "acme", *, ready: bool = True) -> None:
        issued = self.clock.now() - timedelta(seconds=570 if ready else 0)
        tokens = self.state.issue_tokens_for_tests(DEMO_CLIENT_ID, self.user_id, issued_at=issued)
        self.tokens.put_initial(
            tenant,
            "default",
            "exact",
            refresh_token=tokens.refresh_token,
            access_token=tokens.access_token,
            expires_at=issued + timedelta(seconds=600),
            now=self.clock.now(),
        )

    def ledger(self, tenant: str = "acme", reserve: int | None = None, **extra: Any) -> ExactLedger:
        return exact_ledger_from_settings(
            self.settings(**extra),
            self.tokens,
            tenant=tenant,
            clock=self.clock,
            mailer=self.mailer,
            mail_from="debiteuren@acme.example",
            sender_name="Acme B.V.",
            reserve=reserve,
        )


def make_world(
    engine: Engine,
    cipher: Cipher,
    *,
    limits: Limits | None = None,
    divisions: tuple[int, ...] = (DIVISION,),
) -> ExactWorld:
    clock = ManualClock(START)
    state = ExactState(clock.now, limits)
    state.add_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, [DEMO_REDIRECT_URI])
    user = state.add_user_with_divisions("boekhouder", [(d, f"BV {d}") for d in divisions])
    app = make_app(state)
    server = LoopbackServer(app).start()
    return ExactWorld(
        clock,
        state,
        app,
        server,
        TokenRepository(engine, cipher),
        CollectingMailer(),
        user.id,
        divisions,
    )


@pytest.fixture
def world(sqlite_engine: Engine, cipher: Cipher) -> Iterator[ExactWorld]:
    w = make_world(sqlite_engine, cipher)
    w.connect()
    yield w
    w.server.stop()
