"""payment plans customers propose on their own page (issue #14)

Revision ID: 0010_payment_plans
Revises: 0009_customer_page
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from connector.store.types import UTCDateTime

revision: str = "0010_payment_plans"
down_revision: str | None = "0009_customer_page"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant", sa.String(length=100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("customer_ref", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=True),
        sa.Column("instalments", sa.JSON(), nullable=False),
        sa.Column("invoices", sa.JSON(), nullable=False),
        sa.Column("pause_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("tenant", "number", name="uq_payment_plan_tenant_number"),
    )
    op.create_index("ix_payment_plan_tenant_customer", "payment_plan", ["tenant", "customer_ref"])


def downgrade() -> None:
    op.drop_index("ix_payment_plan_tenant_customer", table_name="payment_plan")
    op.drop_table("payment_plan")
