"""Alembic environment: runs on the connection `connector.store.db.migrate` passes in."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from connector.store import models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
config = context.config

connection = config.attributes.get("connection")
if connection is None:  # `alembic` on the command line (autogenerate during development)
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
