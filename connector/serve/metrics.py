"""Prometheus metrics of `dunning serve`.

Counters that only this process can know (runs, failures, API calls and 429 answers per
platform) live in a private `CollectorRegistry`; what the database knows (actions by kind and
state, sync lag, token expiry, open alerts) is read at scrape time by `StoreCollector`, so the
numbers stay right across restarts and include what a `dunning run` beside `serve` did.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import col, select

from connector.app import App, ClientUnavailable
from connector.http import HttpMetrics
from connector.store.db import session_scope
from connector.store.models import OpsAlert, OutboxAction, SyncCursor


class StoreCollector(Collector):
    """Gauges and counters computed from the store on each scrape."""

    def __init__(self, app: Callable[[], App], now: Callable[[], datetime]) -> None:
        self._app = app
        self._now = now

    def collect(self) -> Iterator[Metric]:
        app, now = self._app(), self._now()
        sent = CounterMetricFamily(
            "dunning_actions_sent",
            "Actions performed (mails, statements, tasks), by kind",
            labels=["client", "kind"],
        )
        states = GaugeMetricFamily(
            "dunning_outbox_actions",
            "Outbox actions by kind and state",
            labels=["client", "kind", "state"],
        )
        lag = GaugeMetricFamily(
            "dunning_sync_lag_seconds",
            "Seconds since the client's last committed sync",
            labels=["client"],
        )
        expiry = GaugeMetricFamily(
            "dunning_token_expiry_seconds",
            "Seconds until the stored access token expires (negative: expired, refreshed on use)",
            labels=["client"],
        )
        consent = GaugeMetricFamily(
            "dunning_token_consent_needed",
            "1 when the client must give consent again",
            labels=["client"],
        )
        alerts = GaugeMetricFamily(
            "dunning_alerts_active", "Active operator alerts", labels=["client", "kind"]
        )
        with session_scope(app.engine) as session:
            rows = session.exec(
                select(
                    OutboxAction.tenant, OutboxAction.kind, OutboxAction.status, func.count()
                ).group_by(
                    col(OutboxAction.tenant), col(OutboxAction.kind), col(OutboxAction.status)
                )
            ).all()
            synced = session.exec(
                select(SyncCursor.tenant, func.max(SyncCursor.updated_at)).group_by(
                    col(SyncCursor.tenant)
                )
            ).all()
            active = session.exec(
                select(OpsAlert.tenant, OpsAlert.kind).where(col(OpsAlert.active).is_(True))
            ).all()
        for tenant, kind, status, count in rows:
            states.add_metric([tenant, kind, status], float(count))
            if status == "sent":
                sent.add_metric([tenant, kind], float(count))
        for tenant, at in synced:
            if at is not None:
                lag.add_metric([tenant], max(0.0, (now - at).total_seconds()))
        for tenant, kind in active:
            alerts.add_metric([tenant, kind], 1.0)
        for slug in sorted(app.config.clients):
            try:
                token = app.token(slug)
            except ClientUnavailable:  # the secret key cannot read it; alerts say so
                continue
            if token is None:
                continue
            consent.add_metric([slug], 1.0 if token.state == "consent_needed" else 0.0)
            if token.expires_at is not None:
                expiry.add_metric([slug], (token.expires_at - now).total_seconds())
        yield from (sent, states, lag, expiry, consent, alerts)


class ServeMetrics:
    """The process's metrics; `render()` is the /metrics body."""

    def __init__(self, app: Callable[[], App], now: Callable[[], datetime]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.runs = Counter(
            "dunning_runs",
            "Client runs by result (ok, failed, skipped)",
            ["client", "result"],
            registry=r,
        )
        self.failures = Counter(
            "dunning_run_failures", "Client runs that failed", ["client"], registry=r
        )
        self.actions = Counter(
            "dunning_run_actions",
            "Action outcomes of the runs of this process",
            ["client", "outcome"],
            registry=r,
        )
        self.api_calls = Counter(
            "dunning_api_calls",
            "API calls to the ledger platform",
            ["client", "platform"],
            registry=r,
        )
        self.api_throttled = Counter(
            "dunning_api_throttled",
            "429 answers from the ledger platform",
            ["client", "platform"],
            registry=r,
        )
        self.duration = Histogram(
            "dunning_run_duration_seconds",
            "Wall time of a client run",
            ["client"],
            registry=r,
            buckets=(1, 5, 15, 60, 300, 900, 1800, 3600),
        )
        self.last_run = Gauge(
            "dunning_last_run_timestamp_seconds",
            "When the client's last run ended (connector clock)",
            ["client"],
            registry=r,
        )
        self.running = Gauge("dunning_runs_in_flight", "Client runs in progress", registry=r)
        self.clients = Gauge(
            "dunning_clients_scheduled", "Clients with a scheduled job", registry=r
        )
        r.register(StoreCollector(app, now))

    def count_http(self, client: str, platform: str, http: HttpMetrics) -> tuple[int, int]:
        calls, throttled = http.total("calls"), http.total("throttled")
        self.api_calls.labels(client, platform).inc(calls)
        self.api_throttled.labels(client, platform).inc(throttled)
        return calls, throttled

    def render(self) -> bytes:
        return generate_latest(self.registry)
