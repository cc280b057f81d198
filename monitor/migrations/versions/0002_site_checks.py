"""Site checks: findings carry structured details (extra); availability probes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("extra", sa.JSON(), nullable=True))
    op.create_table(
        "probes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("site", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("elapsed_ms", sa.Integer(), nullable=True),
    )
    op.create_index("ix_probes_site_at", "probes", ["site", "at"])


def downgrade() -> None:
    op.drop_index("ix_probes_site_at", table_name="probes")
    op.drop_table("probes")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("extra")
