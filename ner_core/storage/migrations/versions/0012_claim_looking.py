"""Whether a claim is a page's that has only looked so far (it lapses sooner than one of a page at work).

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("claims") as table:
        table.add_column(sa.Column("looking", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("claims") as table:
        table.drop_column("looking")
