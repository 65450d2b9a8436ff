"""The schema before migrations: datasets and their corrections.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("sentence", sa.Integer(), nullable=False),
        sa.Column("token", sa.Integer(), nullable=False),
        sa.Column("old_tag", sa.String(16), nullable=False),
        sa.Column("new_tag", sa.String(16), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch", sa.String(32), nullable=False),
        sa.Column("reverted", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_corrections_dataset_id", "corrections", ["dataset_id"])
    op.create_index("ix_corrections_sentence", "corrections", ["sentence"])
    op.create_index("ix_corrections_batch", "corrections", ["batch"])


def downgrade() -> None:
    op.drop_table("corrections")
    op.drop_table("datasets")
