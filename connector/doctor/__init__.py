"""`dunning doctor`: configuration, database, templates, token and API reachability per client.

Each check prints one line: `ok`, `FAIL` (with what to do), `warn` (e.g. a customer's e-mail
address that is not usable) or `skip`. A failing client does not
hide the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from sqlalchemy import text

from connector.app import App, ClientUnavailable
from connector.config import ConfigError
from connector.config.policy_select import ClientPolicies, resolve_client_policies
from connector.domain import CustomerProfile
from connector.domain.clock import Clock
from connector.domain.ports import LedgerError
from connector.mail.imap import ImapInbox, InboxError
from connector.notices import TEMPLATES as NOTICE_TEMPLATES
from connector.platforms import platforms
from connector.policy.model import PolicyError
from connector.render import Renderer
from connector.replies import TEMPLATE as REPLY_TEMPLATE
from connector.store import addresses
from connector.store.db import session_scope


def doctor(
    config_dir: Path, clock_for: Callable[[str], Clock], env: Mapping[str, str] | None = None
) -> tuple[list[str], bool]:
    """Open the installation at `config_dir` and check it; a configuration, secret key or
    database that cannot be opened is a FAIL line too. `clock_for(timezone)` makes the clock."""
    from connector.app.errors import describe
    from connector.store.crypto import CipherError
    from connector.store.db import DatabaseError

    try:
        app = App.open(config_dir, env)
    except ConfigError as exc:
        return [f"FAIL config: {p.describe()}" for p in exc.problems], False
    except CipherError as exc:
        return [
            f"ok   config: {config_dir}/connector.yaml",
            f"FAIL secret key: {describe(exc)}",
        ], False
    except DatabaseError as exc:
        return [
            f"ok   config: {config_dir}/connector.yaml",
            f"FAIL database: {describe(exc)}",
        ], False
    try:
        return run_doctor(app, clock_for(app.config.connector.timezone))
    finally:
        app.engine.dispose()


def run_doctor(app: App, clock: Clock) -> tuple[list[str], bool]:
    lines: list[str] = []
    ok = True
    lines.append(f"ok   config: {app.config_dir}/connector.yaml")
    try:
        with app.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        lines.append(f"ok   database: {app.engine.url.render_as_string(hide_password=True)}")
    except Exception as exc:
        from connector.app.errors import describe

        lines.append(f"FAIL database: {describe(exc)}")
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
            policies = resolve_client_policies(slug, client, app.config_dir)
        except (ConfigError, PolicyError) as exc:
            for problem in getattr(exc, "problems", (exc,)):
                message = problem.describe() if isinstance(problem, ConfigError) else str(problem)
                lines.append(f"FAIL {slug}: policy: {message}")
            ok = False
            continue
        policy = policies.default
        templates = app.config_dir / "templates" / slug
        renderer = Renderer(templates if templates.is_dir() else None)
        languages = {client.language} | {
            o.language for o in client.customers.values() if o.language
        }
        problems = [
            p
            for each in policies.all()
            for step in each.steps
            for lang in sorted(languages)
            for p in renderer.check(step.template, lang)
        ]
        for each in policies.all():
            if each.receipt_check is not None:
                problems += [
                    p
                    for lang in sorted(languages)
                    for p in renderer.check(each.receipt_check.template, lang)
                ]
            if each.thank_you != "never":
                problems += [
                    p
                    for lang in sorted(languages)
                    for p in renderer.check(each.thank_you_template, lang)
                ]
        if client.inbox is not None:
            problems += [
                p for lang in sorted(languages) for p in renderer.check(REPLY_TEMPLATE, lang)
            ]
        console = app.config.connector.console
        pages = console is not None and bool(console.public_url)
        relay = client.mail or app.config.connector.mail
        if pages and relay is not None:  # the notices to the business (issue #14)
            problems += [p for t in NOTICE_TEMPLATES for p in renderer.check(t, client.language)]
        for problem in sorted(set(problems)):
            lines.append(f"FAIL {slug}: template {problem}")
            client_ok = False
        if pages and relay is None:
            lines.append(
                f"WARN {slug}: promises and disputes on customers' own pages are not mailed to "
                "the business (no 'mail:' relay in the client file or connector.yaml); the "
                "console's customer pages show them"
            )
        try:
            tenant = app.tenant(slug, clock)
            lines.append(f"ok   {slug}: token stored")
            first, *more = tenant.ledger.check().splitlines() or [""]
            lines.append(f"ok   {slug}: {first}")
            for line in more:  # the port's contract: further lines are warnings
                lines.append(f"WARN {slug}: {line.removeprefix('WARNING: ')}")
        except (ClientUnavailable, LedgerError) as exc:
            lines.append(f"FAIL {slug}: {getattr(exc, 'reason', exc)}")
            client_ok = False
        if client.inbox is not None:
            try:
                lines.append(f"ok   {slug}: {ImapInbox(client.inbox, timeout=15).check()}")
            except InboxError as exc:
                lines.append(f"FAIL {slug}: {exc}")
                client_ok = False
        with session_scope(app.engine) as session:
            bad_addresses = addresses.unusable_addresses(session, slug)
        lines += [f"warn {slug}: {line}" for line in addresses.describe(bad_addresses)]
        if client_ok:
            lines.append(f"ok   {slug}: policy {policy.name}, {len(policy.steps)} steps")
            for profile, other in sorted(policies.by_profile.items()):
                lines.append(
                    f"ok   {slug}: {profile} customers: policy {other.name}, "
                    f"{len(other.steps)} steps"
                )
        ladder_lines, ladders_ok = ladder_report(app, slug, policies, clock)
        lines += ladder_lines
        client_ok = client_ok and ladders_ok
        ok = ok and client_ok
    return lines, ok


def ladder_report(
    app: App, slug: str, policies: ClientPolicies, clock: Clock
) -> tuple[list[str], bool]:
    """How many customers fall under each ladder (issue #16), and every mismatch: a consumer on a
    ladder unfit for consumers (FAIL), consumers a client can only remind (WARN, named), the
    client file overriding the ledger's profile, profiles the ledger has not told yet."""
    from connector.doctor.consumers import census, stopped_consumers_message
    from connector.domain.clock import local_date

    client = app.config.clients[slug]
    lines: list[str] = []
    ok = True
    today = local_date(clock.now(), client.timezone or app.config.connector.timezone)
    try:
        found = census(app.engine, slug, client, policies, today)
    except Exception as exc:  # a store problem is reported by the database check
        return [f"skip {slug}: customers per ladder: {exc}"], True
    if found.counts:
        parts = [
            f"{ladder} {n} ({profile})" for (ladder, profile), n in sorted(found.counts.items())
        ]
        lines.append(f"ok   {slug}: customers per ladder: {', '.join(parts)}")
    else:
        lines.append(f"ok   {slug}: customers per ladder: none synced yet")
    consumer = policies.for_profile(CustomerProfile.CONSUMER)
    how = {
        "configured": "named in the client file",
        "default": "the default ladder is fit for consumers",
        "nl-b2c-wik": "built-in for Dutch clients (none named)",
        "reminders-only": "reminders only: no consumer ladder named for this non-Dutch client",
    }[policies.consumer_source]
    lines.append(f"ok   {slug}: consumers: policy {consumer.name} ({how})")
    for name, ladder, why in found.unfit:
        ok = False
        lines.append(f"FAIL {slug}: consumer {name} is on {ladder}: {why}")
    if found.stopped:
        lines.append(f"WARN {stopped_consumers_message(slug, found.stopped, consumer.name)}")
    for name, ledger, own in found.overridden:
        lines.append(
            f"ok   {slug}: {name}: {own.value} by the client file (the ledger says {ledger.value})"
        )
    if found.profile_unread:
        lines.append(
            f"ok   {slug}: {found.profile_unread} customer(s) not yet read in detail: their "
            "profile (consumer or business) is read from the ledger before their first letter"
        )
    platform = platforms().get(client.platform)
    if platform is not None and not platform.profiles_known:
        lines.append(
            f"WARN {slug}: {platform.title} does not say whether an account is a person or a "
            "company: mark consumers in the client file (customers: {ID: {profile: consumer}})"
        )
    return lines, ok
