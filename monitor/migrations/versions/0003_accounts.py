"""New-media accounts: findings name their account; one row per account per scan.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("account", sa.String(64), nullable=True))
    op.create_table(
        "account_checks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("scan_id", sa.Integer(), sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("account", sa.String(64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("newest", sa.DateTime(), nullable=True),
        sa.Column("days_silent", sa.Integer(), nullable=True),
        sa.Column("recent_posts", sa.Integer(), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.UniqueConstraint("scan_id", "account", name="uq_account_checks_scan_account"),
    )
    op.create_index("ix_account_checks_account", "account_checks", ["account"])


def downgrade() -> None:
    op.drop_index("ix_account_checks_account", table_name="account_checks")
    op.drop_table("account_checks")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("account")
