"""The migrations build exactly the schema the models declare, on SQLite and on PostgreSQL.

The store's code is written against the models (`connector.store.models`); the database is built
by the Alembic migrations. If the two drift (a column added to a model without a migration, an
index only one of them has), every test on a migrated database could still pass while a real
installation breaks. Alembic's autogenerate comparison is the judge: after migrating to head it
must find nothing to do. The `engine` fixture runs each test on a fresh SQLite file and, with
DUNNING_TEST_POSTGRES_URL set, in a private PostgreSQL schema.
"""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Engine, Integer, MetaData
from sqlmodel import SQLModel

from connector.store import models  # noqa: F401  (registers the tables)
from connector.store.db import MIGRATIONS


def schema_drift(engine: Engine, metadata: MetaData) -> list[Any]:
    """What autogenerate would write into a new migration: empty when the schema matches."""
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, metadata))


def test_the_migrated_schema_is_what_the_models_declare(engine: Engine) -> None:
    assert schema_drift(engine, SQLModel.metadata) == []


def test_a_column_only_the_models_have_is_seen_as_drift(engine: Engine) -> None:
    drifted = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["outbox_action"].append_column(Column("added_without_migration", Integer))

    drift = schema_drift(engine, drifted)

    assert [(op[0], op[2], op[3].name) for op in drift] == [
        ("add_column", "outbox_action", "added_without_migration")
    ]


def test_the_migration_history_has_one_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
