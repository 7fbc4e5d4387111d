"""Engine, migrations and transactions: the one way to reach the database.

SQLite (the default) runs in WAL mode with a busy timeout so a `dunning run` beside `serve`
waits for the other's short write transactions instead of failing. PostgreSQL is used through
psycopg 3 (`postgresql+psycopg://…`). Migrations are Alembic scripts shipped inside the package
and applied on start; concurrent starts on PostgreSQL are serialised by an advisory lock.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

MIGRATIONS = Path(__file__).parent / "migrations"
_ADVISORY_KEY = 7_310_455_201  # any constant; identifies "dunning-connector migrations"


class DatabaseError(Exception):
    """The database cannot be opened or migrated; the message says which URL (no password)."""


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


def make_engine(url: str, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_sqlite_file(Path(database))
        engine = create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            **kwargs,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    # Bounded per process (several workers share one server's max_connections).
    kwargs.setdefault("pool_size", 5)
    kwargs.setdefault("max_overflow", 5)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def private_sqlite_file(path: Path) -> None:
    """Create the database file (and any folder on the way) readable by this user only.

    It holds customers' personal data and the encrypted tokens. Folders the connector creates
    are 0700; the file is created 0600 before SQLite opens it, and SQLite gives its ``-wal``,
    ``-shm`` and ``-journal`` files the database file's mode. An existing file (or side file)
    of ours that others can read is narrowed to 0600; an existing folder is left as it is.
    """
    missing = []
    folder = path.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        try:
            created.mkdir(mode=0o700)
        except FileExistsError:  # created meanwhile by another process
            continue
        os.chmod(created, 0o700)  # mkdir's mode is narrowed by the umask, never widened
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        os.close(fd)
    for side in ("", "-wal", "-shm", "-journal"):
        file = Path(f"{path}{side}")
        try:
            st = file.stat()
        except OSError:
            continue
        if st.st_mode & 0o077 and st.st_uid == os.getuid():
            os.chmod(file, 0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the driver so BEGIN IMMEDIATE below is honoured.
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    """Take the write lock at BEGIN: a read-then-write transaction never hits SQLITE_BUSY
    half-way (the busy timeout applies at BEGIN instead)."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
            cfg.attributes["connection"] = conn
            # One linear history (0003 joined the early feature branches).
            command.upgrade(cfg, "head")
    except Exception as exc:
        raise DatabaseError(
            f"cannot open or migrate the database {safe_url(str(engine.url))}: {exc}"
        ) from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any exception."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
