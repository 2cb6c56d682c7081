"""Migration 0004 (insert sentinels) goes down and up again with rows in the tables, on
SQLite (where a table rebuild would trip the other tables' foreign keys) or PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from bot.settings import Settings
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store.db import Database
from bot.store.migrate import current_revision, downgrade, head_revision, upgrade
from bot.store.models import CaseEvent, HandOff

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def sentinel_tables(connection):  # type: ignore[no-untyped-def]
    inspector = inspect(connection)
    return {
        table
        for table in ("message", "handoff", "caseevent", "outboxitem")
        if "sentinel" in {c["name"] for c in inspector.get_columns(table)}
    }


async def test_0004_round_trip_keeps_the_rows(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        await upgrade(db)
        async with db.transaction() as session:
            case = await case_store.create_case(
                session, now=NOW, locale="en", region="SE", person_ref=None
            )
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
        async with db.engine.connect() as conn:
            assert await conn.run_sync(sentinel_tables) == {"message", "handoff"}

        await downgrade(db, "0003")
        async with db.engine.connect() as conn:
            assert await conn.run_sync(sentinel_tables) == set()
            for table in ("message", "handoff", "caseevent"):
                count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                assert count >= 1, table
        await upgrade(db)
        assert await current_revision(db) == head_revision()
        async with db.engine.connect() as conn:
            assert await conn.run_sync(sentinel_tables) == {"message", "handoff"}
    finally:
        await db.close()
