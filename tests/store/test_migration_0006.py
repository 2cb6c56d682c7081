"""Migration 0006 (the audit trail's indexes for agent load) goes down and up again with
rows in the table, on SQLite or PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from bot.settings import Settings
from bot.store import cases as case_store
from bot.store.db import Database
from bot.store.migrate import current_revision, downgrade, head_revision, upgrade

NOW = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)
INDEXES = {"ix_caseevent_kind_created", "ix_caseevent_handoff"}


def caseevent_indexes(connection):  # type: ignore[no-untyped-def]
    return {index["name"] for index in inspect(connection).get_indexes("caseevent")}


async def test_0006_round_trip_keeps_the_rows(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        await upgrade(db)
        async with db.transaction() as session:
            case = await case_store.create_case(
                session, now=NOW, locale="en", region="SE", person_ref=None
            )
            await case_store.add_event(
                session, case_id=case.id, kind="claimed", actor="U0AGENT1", now=NOW
            )
        async with db.engine.connect() as conn:
            assert INDEXES <= await conn.run_sync(caseevent_indexes)

        await downgrade(db, "0005")
        async with db.engine.connect() as conn:
            assert not INDEXES & await conn.run_sync(caseevent_indexes)
            count = (await conn.execute(text("SELECT count(*) FROM caseevent"))).scalar_one()
            assert count == 1
        await upgrade(db)
        assert await current_revision(db) == head_revision() == "0006"
        async with db.engine.connect() as conn:
            assert INDEXES <= await conn.run_sync(caseevent_indexes)
    finally:
        await db.close()
