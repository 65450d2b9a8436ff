"""A double annotation keeps the tags the annotator started from, so that adjudicating it keeps what others saved since.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("double_annotations") as table:
        table.add_column(sa.Column("base", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("double_annotations") as table:
        table.drop_column("base")
