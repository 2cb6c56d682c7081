"""Migration 0003 (the agents' toolkit) goes up, down and up again, on SQLite or PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from bot.settings import Settings
from bot.store.db import Database
from bot.store.migrate import current_revision, downgrade, head_revision, upgrade


def tables_and_case_columns(connection):  # type: ignore[no-untyped-def]
    inspector = inspect(connection)
    columns = {c["name"] for c in inspector.get_columns("case")}
    return set(inspector.get_table_names()), columns


async def test_0003_round_trip(settings: Settings) -> None:
    db = Database(settings.database_url)
    try:
        await upgrade(db)
        assert await current_revision(db) == head_revision()
        async with db.engine.connect() as conn:
            tables, columns = await conn.run_sync(tables_and_case_columns)
        assert {"compensation", "incident", "incidentupdate"} <= tables
        assert {"root_cause", "csat_score", "csat_at", "incident_id"} <= columns

        await downgrade(db, "0002")
        async with db.engine.connect() as conn:
            tables, columns = await conn.run_sync(tables_and_case_columns)
        assert not {"compensation", "incident", "incidentupdate"} & tables
        assert "root_cause" not in columns
        await upgrade(db)
        assert await current_revision(db) == head_revision()
    finally:
        await db.close()
