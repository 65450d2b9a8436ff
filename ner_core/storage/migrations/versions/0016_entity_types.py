"""Entity types added to a dataset in the app, each type's guideline, blind double annotation (annotators who start
from no entity), and tags as long as the longest type allows (62 characters and a prefix: 16 before, which refused on
PostgreSQL every correction to or from a tag such as ``B-RATINGS_AVERAGE``).

Revision ID: 0016
Revises: 0015
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("double_assignments") as table:
        table.add_column(sa.Column("blind", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("corrections") as table:
        for column in ("old_tag", "new_tag"):
            table.alter_column(column, existing_type=sa.String(16), type_=sa.String(64), existing_nullable=False)
    op.create_table(
        "entity_types",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), nullable=False, index=True),
        sa.Column("name", sa.String(62), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("dataset_id", "name"),
    )
    op.create_table(
        "type_guidelines",
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), primary_key=True),
        sa.Column("name", sa.String(62), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("double_assignments") as table:
        table.drop_column("blind")
    op.drop_table("type_guidelines")
    op.drop_table("entity_types")
    with op.batch_alter_table("corrections") as table:
        for column in ("old_tag", "new_tag"):
            table.alter_column(column, existing_type=sa.String(64), type_=sa.String(16), existing_nullable=False)
