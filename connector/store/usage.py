"""API calls per client and (UTC) day, as the runs counted them: what the day's budget leaves
for actions (`connector.run`) and what the API budget alert measures (`connector.alerts`).

It lives in the store, not in the alerts, because the engine reads it: the engine does not import
operations (an import-linter contract in pyproject.toml).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlmodel import select

from connector.store.db import session_scope
from connector.store.models import ApiUsageDay


def record_api_usage(
    engine: Engine, tenant: str, platform: str, day: date, calls: int, throttled: int
) -> None:
    """Add one run's API calls to the client's count for the (UTC) day."""
    if calls == 0 and throttled == 0:
        return
    with session_scope(engine) as session:
        row = session.exec(
            select(ApiUsageDay).where(ApiUsageDay.tenant == tenant, ApiUsageDay.day == day)
        ).first()
        if row is None:
            row = ApiUsageDay(tenant=tenant, day=day, platform=platform)
        row.calls += calls
        row.throttled += throttled
        session.add(row)


def api_calls_on(engine: Engine, tenant: str, day: date) -> int:
    with session_scope(engine) as session:
        row = session.exec(
            select(ApiUsageDay).where(ApiUsageDay.tenant == tenant, ApiUsageDay.day == day)
        ).first()
        return row.calls if row is not None else 0
