"""Claims: the items on an annotator's screen, held from the rest of the team for a few minutes.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("kind", sa.String(10), primary_key=True),
        sa.Column("item_id", sa.Integer(), primary_key=True),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("claims")
