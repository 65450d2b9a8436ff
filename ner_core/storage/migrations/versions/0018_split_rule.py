"""A dataset records how its one file was split: ``covering`` (from now on: each entity type keeps a share of the val
and test parts, so a rare type's score can be measured) or none (the plain seeded 80/10/10 split, which datasets
imported before keep, so no sentence moves to another part). The default corpus's row takes ``covering``, the rule
the command line splits any file by (the shipped corpus's split is the same under both).

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("datasets") as table:
        table.add_column(sa.Column("split_rule", sa.String(20), nullable=True))
    op.execute("UPDATE datasets SET split_rule = 'covering' WHERE name = 'default'")


def downgrade() -> None:
    with op.batch_alter_table("datasets") as table:
        table.drop_column("split_rule")
