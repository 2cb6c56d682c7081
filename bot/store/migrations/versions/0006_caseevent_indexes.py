"""caseevent indexes by kind and time, and by hand-off: agent load reads claims from them

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 21:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The audit trail only grows: without these, every App Home view and every crisis
    # re-ping read all of it to work out agents' load (bot/agent_load.py).
    op.create_index("ix_caseevent_kind_created", "caseevent", ["kind", "created_at"])
    op.create_index("ix_caseevent_handoff", "caseevent", ["handoff_id"])


def downgrade() -> None:
    op.drop_index("ix_caseevent_handoff", table_name="caseevent")
    op.drop_index("ix_caseevent_kind_created", table_name="caseevent")
