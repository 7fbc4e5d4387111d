"""Failures as people read them: one line naming the cause, for the CLI, `serve` and a console.

`describe(exc)` turns any exception that reaches the top of a command into one line. Known
failures (a wrong secret key, a database that cannot be opened, a broken configuration, a
missing template, an unknown client) say what is wrong and what to do; anything else is named by
its type and first line, and `-v` shows the traceback.
"""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

#: exit code of a failure of usage or configuration (see `connector.cli`)
USAGE = 2


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _sqlalchemy(exc: SQLAlchemyError) -> str:
    orig = getattr(exc, "orig", None)
    cause = first_line(str(orig)) if orig is not None else first_line(str(exc))
    return f"the database cannot be used: {cause}"


def describe(exc: BaseException) -> str:
    """One line, no secret, no traceback: what failed and, where known, what to do."""
    from connector.app import ClientUnavailable
    from connector.config import ConfigError
    from connector.domain.ports import LedgerError
    from connector.policy.model import PolicyError
    from connector.render import TemplateProblem
    from connector.store.crypto import CipherError
    from connector.store.db import DatabaseError

    if isinstance(exc, ClientUnavailable):
        return str(exc)
    if isinstance(exc, ConfigError):
        problems = exc.problems
        more = f" (and {len(problems) - 1} more; `dunning doctor` lists them)" * (len(problems) > 1)
        return problems[0].describe() + more
    if isinstance(exc, DatabaseError):
        return first_line(str(exc))
    if isinstance(exc, SQLAlchemyError):
        return _sqlalchemy(exc)
    if isinstance(exc, (CipherError, PolicyError)):
        return first_line(str(exc))
    if isinstance(exc, TemplateProblem):
        return f"template: {first_line(str(exc))}"
    if isinstance(exc, LedgerError):
        return f"{exc.kind}: {first_line(str(exc))}"
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    text = first_line(str(exc))
    return f"{type(exc).__name__}{': ' + text if text else ''} (run with -v for the traceback)"
