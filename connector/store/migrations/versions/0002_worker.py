"""scale-out workers: tenant rounds and shared API budgets

Revision ID: 0002_worker
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.store.types

revision: str = "0002_worker"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("worker",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenant_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=100), nullable=False),
        sa.Column("round_at", connector.store.types.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("started_at", connector.store.types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", connector.store.types.UTCDateTime(), nullable=True),
        sa.Column("result", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "round_at", name="uq_round_tenant_slot"),
    )
    op.create_table(
        "api_budget",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("blocked_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("api_budget")
    op.drop_table("tenant_round")
