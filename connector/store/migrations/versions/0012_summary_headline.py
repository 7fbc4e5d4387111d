"""the client page's ageing and DSO kept in each client's summary (issue #13: the client page at
50,000 invoices per client)

Revision ID: 0012_summary_headline
Revises: 0011_client_summary
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_summary_headline"
down_revision: str | None = "0011_client_summary"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("client_summary", sa.Column("headline", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("client_summary", "headline")
