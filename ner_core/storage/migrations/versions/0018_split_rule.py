"""A dataset records how its one file was split: ``covering`` (from now on: each entity type keeps a share of the val
and test parts, so a rare type's score can be measured) or none (the plain seeded 80/10/10 split, which datasets
imported before keep, so no sentence moves to another part; the default corpus's row too, whatever file
``$NER_CORPUS`` names: a database made from now on gives it ``covering``, the rule the command line splits a file by).

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


def downgrade() -> None:
    with op.batch_alter_table("datasets") as table:
        table.drop_column("split_rule")
