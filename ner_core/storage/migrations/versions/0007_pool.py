"""A dataset's pool of unlabelled sentences: ranked, pre-annotated, added to the corpus or discarded.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pool_sentences",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), nullable=False, index=True),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(10), nullable=False, index=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(300), nullable=True),
        sa.Column("types", sa.JSON(), nullable=True),
        sa.Column("suggestion", sa.JSON(), nullable=True),
        sa.Column("ranked_with", sa.String(300), nullable=True),
        sa.Column("corpus_index", sa.Integer(), nullable=True),
        sa.Column("batch", sa.String(32), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("dataset_id", "key"),
        sa.UniqueConstraint("dataset_id", "corpus_index"),
    )


def downgrade() -> None:
    op.drop_table("pool_sentences")
