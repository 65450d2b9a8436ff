"""A review decision names the correction batch it saved, so that undoing it reverts that batch only.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_decisions") as table:
        table.add_column(sa.Column("batch", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("review_decisions") as table:
        table.drop_column("batch")
