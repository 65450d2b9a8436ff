"""Cross-validated label issues: one row per run (dataset, data version, fold models) and per sentence.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "label_issue_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("dataset", sa.String(200), nullable=False),
        sa.Column("data_version", sa.String(64), nullable=False),
        sa.Column("folds", sa.Integer(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("models_dir", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_label_issue_runs_dataset", "label_issue_runs", ["dataset"])
    op.create_table(
        "label_issue_scores",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("run_id", sa.String(32), sa.ForeignKey("label_issue_runs.id"), nullable=False),
        sa.Column("sentence", sa.Integer(), nullable=False),
        sa.Column("fold", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(16), nullable=False),
        sa.Column("issues", sa.JSON(), nullable=False),
        sa.UniqueConstraint("run_id", "sentence"),
    )
    op.create_index("ix_label_issue_scores_run_id", "label_issue_scores", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_label_issue_scores_run_id", "label_issue_scores")
    op.drop_table("label_issue_scores")
    op.drop_index("ix_label_issue_runs_dataset", "label_issue_runs")
    op.drop_table("label_issue_runs")
