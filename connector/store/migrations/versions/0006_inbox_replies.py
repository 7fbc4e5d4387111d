"""customers' replies read from the client's inbox, each handled once (issue #14)

Revision ID: 0006_inbox_replies
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from connector.store.types import UTCDateTime

revision: str = "0006_inbox_replies"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("tenant", sa.String(length=100), nullable=False),
        sa.Column("message_key", sa.String(length=64), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("sender", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("customer_ref", sa.String(length=100), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("handled_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("tenant", "message_key", name="uq_inbox_message_key"),
    )


def downgrade() -> None:
    op.drop_table("inbox_message")
