"""operations: alerts and daily API usage (issue 5)

Revision ID: 0002_operations
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.store.types

revision: str = "0002_operations"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("operations",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ops_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("raised_at", connector.store.types.UTCDateTime(), nullable=False),
        sa.Column("mailed_at", connector.store.types.UTCDateTime(), nullable=True),
        sa.Column("cleared_at", connector.store.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "kind", name="uq_ops_alert_tenant_kind"),
    )
    op.create_table(
        "api_usage_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=20), nullable=False),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.Column("throttled", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant", "day", name="uq_api_usage_tenant_day"),
    )


def downgrade() -> None:
    op.drop_table("api_usage_day")
    op.drop_table("ops_alert")
