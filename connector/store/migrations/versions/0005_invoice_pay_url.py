"""the platform's online payment link per invoice (Zoho invoice_url), for the reminders

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("invoice", sa.Column("pay_url", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    op.drop_column("invoice", "pay_url")
