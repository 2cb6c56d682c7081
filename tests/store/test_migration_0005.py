"""Migration 0005 (case.erased_at) goes down and up again with rows in the tables, on
SQLite (a native DROP COLUMN, no table rebuild) or PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from bot.settings import Settings
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store.db import Database
from bot.store.migrate import current_revision, downgrade, head_revision, upgrade

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def case_columns(connection):  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(connection).get_columns("case")}


async def test_0005_round_trip_keeps_the_rows(settings: Settings) -> None:
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
            case.erased_at = NOW
            session.add(case)
        async with db.engine.connect() as conn:
            assert "erased_at" in await conn.run_sync(case_columns)

        await downgrade(db, "0004")
        async with db.engine.connect() as conn:
            assert "erased_at" not in await conn.run_sync(case_columns)
            for table in ('"case"', "message"):
                count = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
                assert count == 1, table
        await upgrade(db)
        assert await current_revision(db) == head_revision()
        async with db.transaction() as session:
            again = await case_store.get_case(session, case_id=case.id)
        assert again is not None and again.erased_at is None  # the column came back empty
    finally:
        await db.close()
