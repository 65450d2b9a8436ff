"""An adjudicated sentence names the save that settled it: its batch shows as saved on Agreement, and reverting the
batch (an undo, a rejection) reopens the sentence for adjudication.

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("double_assignments") as table:
        table.add_column(sa.Column("adjudication_batch", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("double_assignments") as table:
        table.drop_column("adjudication_batch")
