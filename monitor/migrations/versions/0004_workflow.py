"""Rectification workflow: when a finding was (re)opened, fixed or ignored; the email
outbox; run locks.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("opened_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("fixed_scan_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("ignored_on", sa.Date(), nullable=True))
    # a finding's deadline runs from when it was first seen (or seen again after a fix)
    op.execute("UPDATE findings SET opened_on = first_seen WHERE opened_on IS NULL")
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("scan_date", sa.Date(), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("smtp_reply", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("key", name="uq_outbox_key"),
    )
    op.create_index("ix_outbox_status", "outbox", ["status"])
    op.create_table(
        "run_locks",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("run_locks")
    op.drop_index("ix_outbox_status", table_name="outbox")
    op.drop_table("outbox")
    with op.batch_alter_table("findings") as batch:
        batch.drop_column("ignored_on")
        batch.drop_column("fixed_scan_id")
        batch.drop_column("opened_on")
