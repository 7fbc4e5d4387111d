"""web console (issue #13): users, server-side sessions, failed logins; who acted and where

Revision ID: 0007_console
Revises: 0006_inbox_replies
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.store.types

revision: str = "0007_console"
down_revision: str | None = "0006_inbox_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "console_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("clients", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("created_at", connector.store.types.UTCDateTime(), nullable=False),
        sa.Column("password_changed_at", connector.store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "console_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", connector.store.types.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", connector.store.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", connector.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["console_user.id"]),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    op.create_index("ix_console_session_user_id", "console_session", ["user_id"])
    op.create_table(
        "console_login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("at", connector.store.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_console_login_attempt_key_at", "console_login_attempt", ["key", "at"])
    with op.batch_alter_table("audit_event") as batch:
        batch.add_column(sa.Column("actor", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("source", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("source")
        batch.drop_column("actor")
    op.drop_index("ix_console_login_attempt_key_at", table_name="console_login_attempt")
    op.drop_table("console_login_attempt")
    op.drop_index("ix_console_session_user_id", table_name="console_session")
    op.drop_table("console_session")
    op.drop_table("console_user")
