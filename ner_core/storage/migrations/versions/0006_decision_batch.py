"""Undo by batch, who undid what, and where each annotator left off.

A review decision names the correction batch it saved (undoing it reverts that batch only); a
reverted correction records who reverted it (its author's undo, a reviewer's rejection) and when;
each annotator's last sentence per dataset is kept, so a new session opens where they left off.

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
    with op.batch_alter_table("corrections") as table:
        table.add_column(sa.Column("reverted_by", sa.String(100), nullable=True))
        table.add_column(sa.Column("reverted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "annotator_positions",
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), primary_key=True),
        sa.Column("author", sa.String(100), primary_key=True),
        sa.Column("sentence", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("annotator_positions")
    with op.batch_alter_table("corrections") as table:
        table.drop_column("reverted_at")
        table.drop_column("reverted_by")
    with op.batch_alter_table("review_decisions") as table:
        table.drop_column("batch")
