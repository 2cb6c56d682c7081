"""insert sentinels: SQLite writes many rows of the busiest tables in one INSERT

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 01:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("message", "handoff")


def upgrade() -> None:
    # Nullable, no default: adding it rewrites no table (SQLite's ADD COLUMN, PostgreSQL's
    # catalog-only change), and rows written before it have no need of one.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("sentinel", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    # A native DROP COLUMN (SQLite >= 3.35): recreating the table would DROP it, which
    # other tables' foreign keys refuse while they hold rows.
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.drop_column("sentinel")
