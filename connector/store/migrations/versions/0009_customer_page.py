"""links to the customer's own page (issue #14): hashed tokens per customer, expiring, revocable

Revision ID: 0009_customer_page
Revises: 0008_payment_links
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from connector.store.types import UTCDateTime

revision: str = "0009_customer_page"
down_revision: str | None = "0008_payment_links"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_page_token",
        sa.Column("token_hash", sa.String(length=64), primary_key=True),
        sa.Column("tenant", sa.String(length=100), nullable=False),
        sa.Column("customer_ref", sa.String(length=100), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "ix_customer_page_token_tenant_customer", "customer_page_token", ["tenant", "customer_ref"]
    )


def downgrade() -> None:
    op.drop_index("ix_customer_page_token_tenant_customer", table_name="customer_page_token")
    op.drop_table("customer_page_token")
