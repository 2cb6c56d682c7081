"""Migration 0005 (case.erased_at) goes down and up again with rows in the tables, on
SQLite (a native DROP COLUMN, no table rebuild) or PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect

from bot.settings import Settings
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store.migrate import current_revision, downgrade, head_revision, upgrade
from tests.store.migrations import at_head_with_a_case, row_count, schema

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def case_columns(connection):  # type: ignore[no-untyped-def]
    return {c["name"] for c in inspect(connection).get_columns("case")}


async def test_0005_round_trip_keeps_the_rows(settings: Settings) -> None:
    async with at_head_with_a_case(settings, NOW) as (db, case):
        async with db.transaction() as session:
            await message_store.add_message(
                session, case_id=case.id, sender="user", text="I was charged twice", now=NOW
            )
            case.erased_at = NOW
            session.add(case)
        assert "erased_at" in await schema(db, case_columns)

        await downgrade(db, "0004")
        assert "erased_at" not in await schema(db, case_columns)
        for table in ('"case"', "message"):
            assert await row_count(db, table) == 1, table
        await upgrade(db)
        assert await current_revision(db) == head_revision()
        async with db.transaction() as session:
            again = await case_store.get_case(session, case_id=case.id)
        assert again is not None and again.erased_at is None  # the column came back empty
