"""each client's overview figures, kept by its run (issue #13: the overview at 1,000 clients)

Revision ID: 0011_client_summary
Revises: 0010_payment_plans
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from connector.store.types import UTCDateTime

revision: str = "0011_client_summary"
down_revision: str | None = "0010_payment_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "client_summary",
        sa.Column("tenant", sa.String(length=100), primary_key=True),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.Column("computed_changes", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("computed_at", UTCDateTime(), nullable=True),
        sa.Column("config_seen_at", UTCDateTime(), nullable=True),
        sa.Column("outstanding", sa.JSON(), nullable=False),
        sa.Column("overdue", sa.JSON(), nullable=False),
        sa.Column("awaiting_approval", sa.Integer(), nullable=False),
        sa.Column("awaiting_review", sa.Integer(), nullable=False),
        sa.Column("calls_today", sa.Integer(), nullable=False),
        sa.Column("upcoming", sa.Integer(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("client_summary")
