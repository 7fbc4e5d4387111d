"""customer postal address from the platform, for letters

Revision ID: 0002_addresses
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_addresses"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = ("addresses",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("customer", sa.Column("address", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("customer", "address")
