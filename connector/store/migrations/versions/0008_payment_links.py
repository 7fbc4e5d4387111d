"""pay links made at a payment provider (Mollie) per reminder, reused until a balance changes

Revision ID: 0008_payment_links
Revises: 0007_console
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from connector.store.types import UTCDateTime

revision: str = "0008_payment_links"
down_revision: str | None = "0007_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_link",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant", sa.String(length=100), nullable=False),
        sa.Column("customer_ref", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("link_id", sa.String(length=100), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("invoices", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("paid_at", UTCDateTime(), nullable=True),
        sa.UniqueConstraint("tenant", "idempotency_key", name="uq_payment_link_tenant_key"),
    )
    op.create_index("ix_payment_link_tenant_fingerprint", "payment_link", ["tenant", "fingerprint"])
    op.create_index("ix_payment_link_link_id", "payment_link", ["link_id"])


def downgrade() -> None:
    op.drop_index("ix_payment_link_link_id", table_name="payment_link")
    op.drop_index("ix_payment_link_tenant_fingerprint", table_name="payment_link")
    op.drop_table("payment_link")
