"""The application object the CLI (and `serve`, and the demo) works through.

`App.open(config_dir)` loads and validates the configuration, opens and migrates the database
and the secret store; `app.tenant(slug, clock)` builds one client's runtime. A client that cannot
be built (broken file, no token yet, consent needed) raises `ClientUnavailable` naming it, so the
caller can report it and carry on with the other clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from connector.app.errors import first_line
from connector.auth.spool import TokenSpool, spool_folder
from connector.config import ClientConfig, ConfigError, LoadedConfig, load_config
from connector.config.environment import (
    DEFAULT_RUN_LEASE,
    database_url,
    process_env,
    run_lease_ttl,
)
from connector.config.policy_select import resolve_client_policies
from connector.domain.clock import Clock, local_date
from connector.http import HttpMetrics, LimiterFactory
from connector.platforms import build_ledger
from connector.platforms.spec import ConnectionIncomplete
from connector.policy.model import PolicyError
from connector.store.crypto import ENV_KEY, BindingError, Cipher, CipherError
from connector.store.db import make_engine, migrate
from connector.store.tokens import TokenRecord, TokenRepository
from connector.tenant import Tenant


class ClientUnavailable(Exception):
    """A client that cannot run now; the message names the client and what to do."""

    def __init__(self, slug: str, reason: str) -> None:
        super().__init__(f"{slug}: {reason}")
        self.slug = slug
        self.reason = reason


class UnknownClient(ClientUnavailable):
    """No client file of that name (or one that does not load); the message lists the known."""


@dataclass
class App:
    config: LoadedConfig
    engine: Engine
    cipher: Cipher
    tokens: TokenRepository
    #: how API calls are paced: None = in this process; workers pass a database-backed one
    limiters: LimiterFactory | None = None
    #: where the secret key came from, for messages (never the key itself)
    key_source: str = "the secret key"
    #: how long a run's lease lasts unrenewed (env DUNNING_RUN_LEASE_SECONDS)
    lease_ttl: timedelta = DEFAULT_RUN_LEASE

    @classmethod
    def open(cls, config_dir: Path, env: Mapping[str, str] | None = None) -> App:
        env = process_env() if env is None else env
        loaded = load_config(config_dir, env)
        url = database_url(loaded.connector.database_url, env)
        key_file = Path(loaded.connector.secret_key_file)
        key_source = f"env {ENV_KEY}" if env.get(ENV_KEY) else f"the key file {key_file}"
        try:
            cipher = Cipher.from_settings(key_file, env)
        except CipherError as exc:
            if env.get(ENV_KEY):  # the file case names the file already
                raise CipherError(f"{ENV_KEY}: {exc}") from exc
            raise
        engine = make_engine(url)
        migrate(engine)
        spool = TokenSpool(spool_folder(Path(loaded.dir), url, env), cipher)
        return cls(
            loaded,
            engine,
            cipher,
            TokenRepository(engine, cipher, spool),
            key_source=key_source,
            lease_ttl=run_lease_ttl(env),
        )

    @property
    def config_dir(self) -> Path:
        return Path(self.config.dir)

    def slugs(self, selected: list[str] | None = None) -> list[str]:
        """The clients to act on: the selected ones, or every enabled one (including broken
        files, so they are reported)."""
        known = sorted(set(self.config.clients) | set(self.config.errors))
        if selected:
            unknown = [s for s in selected if s not in known]
            if unknown:
                raise ConfigError(
                    self.config_dir / "clients",
                    "",
                    f"no such client: {', '.join(unknown)} (known: {', '.join(known) or 'none'})",
                    None,
                )
            return selected
        return [s for s in known if s in self.config.errors or self.config.clients[s].enabled]

    def require(self, slug: str) -> ClientConfig:
        """The client's valid configuration; `UnknownClient` naming the problem otherwise."""
        if slug in self.config.errors:
            raise UnknownClient(slug, f"configuration error: {self.config.errors[slug]}")
        client = self.config.clients.get(slug)
        if client is None:
            known = ", ".join(sorted(self.config.clients)) or "none"
            raise UnknownClient(
                slug,
                f"no such client (no {self.config_dir / 'clients' / slug}.yaml; known: {known})",
            )
        return client

    def today(self, slug: str, now: datetime) -> date:
        """The client's calendar day at `now` (its time zone, else the connector's)."""
        client = self.require(slug)
        return local_date(now, client.timezone or self.config.connector.timezone)

    def token(self, slug: str) -> TokenRecord | None:
        """The client's stored token; `ClientUnavailable` when the secret key cannot read it."""
        try:
            return self.tokens.get(slug)
        except BindingError as exc:  # a row moved or swapped: say so, not "wrong key"
            raise ClientUnavailable(slug, str(exc)) from exc
        except CipherError as exc:
            raise ClientUnavailable(slug, self.undecryptable(slug)) from exc

    def undecryptable(self, slug: str) -> str:
        return (
            f"the stored token cannot be decrypted with {self.key_source} (a different key than "
            f"the one it was stored with): restore that key, or run `dunning auth login {slug}` "
            "to connect again"
        )

    def tenant(
        self,
        slug: str,
        clock: Clock,
        *,
        metrics: HttpMetrics | None = None,
        offline: bool = False,
    ) -> Tenant:
        """The client's runtime. `offline`: for planning and rendering from the store only
        (a console's preview, a sent message shown again), so no token is required; its
        ledger must not be called (it would fail for want of a token)."""
        client = self.require(slug)
        try:  # a broken policy is named first: it is what to fix, token or not
            resolve_client_policies(slug, client, self.config_dir)
        except (ConfigError, PolicyError) as exc:
            raise ClientUnavailable(slug, f"policy: {first_line(str(exc))}") from exc
        record = None if offline else self.token(slug)
        if record is None and not offline:
            raise ClientUnavailable(
                slug, f"no OAuth token stored; run `dunning auth login {slug}` first"
            )
        if record is not None and record.state == "consent_needed":
            raise ClientUnavailable(
                slug,
                f"consent needed ({record.state_reason}); run `dunning auth login {slug}` again",
            )
        try:
            ledger = build_ledger(
                slug,
                client,
                self.tokens,
                clock,
                self.config.connector,
                metrics=metrics,
                limiters=self.limiters,
            )
        except ConnectionIncomplete as exc:  # e.g. no Exact division chosen yet
            raise ClientUnavailable(slug, str(exc)) from exc
        templates = self.config_dir / "templates" / slug
        try:
            return Tenant.build(
                slug,
                client,
                self.config.connector,
                self.engine,
                ledger,
                template_dir=templates if templates.is_dir() else None,
                config_dir=self.config_dir,
                lease_ttl=self.lease_ttl,
                cipher=self.cipher,
            )
        except ConfigError as exc:  # a broken policy file: this client cannot run
            raise ClientUnavailable(slug, f"policy: {exc}") from exc
