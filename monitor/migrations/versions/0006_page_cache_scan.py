"""The page cache remembers which scan read the page: only the findings that scan saw on the
page are carried over while the page stays unchanged.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # entries from before this revision cannot say which findings they vouch for: drop them
    # (the next scan reads those pages in full and writes them again)
    op.execute("DELETE FROM page_cache")
    with op.batch_alter_table("page_cache") as batch:
        batch.add_column(sa.Column("scan_id", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("page_cache") as batch:
        batch.drop_column("scan_id")
