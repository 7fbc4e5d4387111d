"""customer number/code from the ledger, to find customers by the number people use

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("customer", sa.Column("number", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("customer", "number")
