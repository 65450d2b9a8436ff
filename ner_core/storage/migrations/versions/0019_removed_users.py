"""A removed user's name stays theirs: their saves, decisions and double annotations are attributed by it, so a new
user of that name would take them over (helper-82). Users removed before this migration are not known any more.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "removed_users",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_by", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("removed_users")
