"""case.erased_at: when a person's erasure request emptied the case (it takes no more messages)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 18:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: a catalog-only change on both databases, no table rewritten.
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("erased_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )


def downgrade() -> None:
    # A native DROP COLUMN (SQLite >= 3.35), as 0004 does: recreating the table would drop
    # it, which the foreign keys of other tables refuse while they hold rows.
    with op.batch_alter_table("case", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("erased_at")
