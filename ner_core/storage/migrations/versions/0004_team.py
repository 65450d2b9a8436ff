"""A team: users and sign-in sessions, double annotation, review of corrections.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(40), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "user_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"])
    op.create_table(
        "double_assignments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("sentence", sa.Integer(), nullable=False),
        sa.Column("annotator_a", sa.String(40), nullable=False),
        sa.Column("annotator_b", sa.String(40), nullable=False),
        sa.Column("assigned_by", sa.String(40), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("adjudicated_by", sa.String(40), nullable=True),
        sa.Column("adjudicated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("choice", sa.String(10), nullable=True),
        sa.UniqueConstraint("dataset_id", "sentence"),
    )
    op.create_index("ix_double_assignments_dataset_id", "double_assignments", ["dataset_id"])
    op.create_table(
        "double_annotations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("assignment_id", sa.Integer(), sa.ForeignKey("double_assignments.id"), nullable=False),
        sa.Column("annotator", sa.String(40), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("assignment_id", "annotator"),
    )
    op.create_index("ix_double_annotations_assignment_id", "double_annotations", ["assignment_id"])
    op.create_table(
        "correction_reviews",
        sa.Column("batch", sa.String(32), primary_key=True),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("reviewer", sa.String(40), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_correction_reviews_dataset_id", "correction_reviews", ["dataset_id"])


def downgrade() -> None:
    for table in ("correction_reviews", "double_annotations", "double_assignments", "user_sessions", "users"):
        op.drop_table(table)
