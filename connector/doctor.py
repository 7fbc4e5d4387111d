"""`dunning doctor`: configuration, database, templates, token and API reachability per client.

Each check prints one line: `ok`, `FAIL` (with what to do) or `skip`. A failing client does not
hide the others.
"""

from __future__ import annotations

from sqlalchemy import text

from connector.app import App, ClientUnavailable
from connector.clock import Clock
from connector.policy.builtin import get_policy
from connector.policy.model import PolicyError
from connector.ports import LedgerError
from connector.render import Renderer


def run_doctor(app: App, clock: Clock) -> tuple[list[str], bool]:
    lines: list[str] = []
    ok = True
    lines.append(f"ok   config: {app.config_dir}/connector.yaml")
    try:
        with app.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        lines.append(f"ok   database: {app.engine.url.render_as_string(hide_password=True)}")
    except Exception as exc:
        lines.append(f"FAIL database: {exc}")
        return lines, False
    for slug in sorted(set(app.config.clients) | set(app.config.errors)):
        if slug in app.config.errors:
            ok = False
            lines.append(f"FAIL {slug}: {app.config.errors[slug]}")
            continue
        client = app.config.clients[slug]
        if not client.enabled:
            lines.append(f"skip {slug}: disabled (configuration is valid)")
            continue
        client_ok = True
        try:
            policy = get_policy(client.policy, min_balance=client.policy_overrides.min_balance)
        except PolicyError as exc:
            lines.append(f"FAIL {slug}: policy: {exc}")
            ok = False
            continue
        templates = app.config_dir / "templates" / slug
        renderer = Renderer(templates if templates.is_dir() else None)
        languages = {client.language} | {
            o.language for o in client.customers.values() if o.language
        }
        problems = [
            p
            for step in policy.steps
            for lang in sorted(languages)
            for p in renderer.check(step.template, lang)
        ]
        if policy.thank_you != "never":
            problems += [p for lang in sorted(languages) for p in renderer.check("thank_you", lang)]
        for problem in sorted(set(problems)):
            lines.append(f"FAIL {slug}: template {problem}")
            client_ok = False
        try:
            tenant = app.tenant(slug, clock)
            lines.append(f"ok   {slug}: token stored")
            lines.append(f"ok   {slug}: {tenant.ledger.check()}")
        except (ClientUnavailable, LedgerError) as exc:
            lines.append(f"FAIL {slug}: {getattr(exc, 'reason', exc)}")
            client_ok = False
        if client_ok:
            lines.append(f"ok   {slug}: policy {policy.name}, {len(policy.steps)} steps")
        ok = ok and client_ok
    return lines, ok
