"""A dataset can be archived: hidden from the sidebar and the command line's list, its sentences, corrections and
models kept whole, restored at any time (an evaluation's trial imports no longer stay in every list for good).

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as table:
        table.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("archived_by", sa.String(100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as table:
        table.drop_column("archived_by")
        table.drop_column("archived_at")
