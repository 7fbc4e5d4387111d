"""One linear history from here on: the four feature branches off 0001 meet.

Revision ID: 0003
Revises: 0002_addresses, 0002_operations, 0002_policies, 0002_worker
"""

from collections.abc import Sequence

revision: str = "0003"
down_revision: str | Sequence[str] | None = (
    "0002_addresses",
    "0002_operations",
    "0002_policies",
    "0002_worker",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: this revision only joins the branches."""


def downgrade() -> None:
    """Nothing to change: this revision only joins the branches."""
