"""Migration 0004 (insert sentinels) goes down and up again with rows in the tables, on
SQLite (where a table rebuild would trip the other tables' foreign keys) or PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect

from bot.settings import Settings
from bot.store import messages as message_store
from bot.store.migrate import current_revision, downgrade, head_revision, upgrade
from bot.store.models import CaseEvent, HandOff
from tests.store.migrations import at_head_with_a_case, row_count, schema

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def sentinel_tables(connection):  # type: ignore[no-untyped-def]
    inspector = inspect(connection)
    return {
        table
        for table in ("message", "handoff", "caseevent", "outboxitem")
        if "sentinel" in {c["name"] for c in inspector.get_columns(table)}
    }


async def test_0004_round_trip_keeps_the_rows(settings: Settings) -> None:
    async with at_head_with_a_case(settings, NOW) as (db, case):
        async with db.transaction() as session:
            await message_store.add_message(
                session, case_id=case.id, sender="user", text="I was charged twice", now=NOW
            )
            handoff = HandOff(
                case_id=case.id,
                queue="billing",
                reason="wants_human",
                severity="normal",
                created_at=NOW,
            )
            session.add(handoff)
            await session.flush()
            session.add(
                CaseEvent(
                    case_id=case.id,
                    handoff_id=handoff.id,
                    kind="handoff_created",
                    actor="bot",
                    created_at=NOW,
                )
            )
        assert await schema(db, sentinel_tables) == {"message", "handoff"}

        await downgrade(db, "0003")
        assert await schema(db, sentinel_tables) == set()
        for table in ("message", "handoff", "caseevent"):
            assert await row_count(db, table) >= 1, table
        await upgrade(db)
        assert await current_revision(db) == head_revision()
        assert await schema(db, sentinel_tables) == {"message", "handoff"}
