"""The review queue: items (suspicious annotations), decisions, and which sources filled it.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("split", sa.String(10), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("sentence", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("given", sa.String(40), nullable=False),
        sa.Column("suggested", sa.String(40), nullable=False),
        sa.Column("given_type", sa.String(40), nullable=True),
        sa.Column("suggested_type", sa.String(40), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("detail", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("dataset_id", "split", "source", "sentence", "start", "end", "given", "suggested",
                            name="uq_review_items_candidate"),
    )
    op.create_index("ix_review_items_dataset_id", "review_items", ["dataset_id"])
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("item_id", sa.Integer(), sa.ForeignKey("review_items.id"), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("sentence", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reverted", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_review_decisions_item_id", "review_decisions", ["item_id"])
    op.create_table(
        "review_fills",
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), primary_key=True),
        sa.Column("split", sa.String(10), primary_key=True),
        sa.Column("source", sa.String(20), primary_key=True),
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("review_fills", "review_decisions", "review_items"):
        op.drop_table(table)
