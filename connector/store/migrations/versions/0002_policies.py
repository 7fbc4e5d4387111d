"""policies: pauses in dunning (promise to pay, dispute, payment plan, do not dun) (issue 4)

Revision ID: 0002_policies
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import connector.store.types

revision: str = "0002_policies"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("policies",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dunning_pause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant", sa.String(length=100), nullable=False),
        sa.Column("customer_ref", sa.String(length=100), nullable=False),
        sa.Column("invoice_ref", sa.String(length=100), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", connector.store.types.UTCDateTime(), nullable=False),
        sa.Column("resumed_at", connector.store.types.UTCDateTime(), nullable=True),
        sa.Column("resumed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dunning_pause", schema=None) as batch_op:
        batch_op.create_index(
            "ix_dunning_pause_tenant_customer", ["tenant", "customer_ref"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dunning_pause", schema=None) as batch_op:
        batch_op.drop_index("ix_dunning_pause_tenant_customer")
    op.drop_table("dunning_pause")
