"""Migration 0006 (the audit trail's indexes for agent load) goes down and up again with
rows in the table, on SQLite or PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect

from bot.settings import Settings
from bot.store import cases as case_store
from bot.store.migrate import current_revision, downgrade, head_revision, upgrade
from tests.store.migrations import at_head_with_a_case, row_count, schema

NOW = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)
INDEXES = {"ix_caseevent_kind_created", "ix_caseevent_handoff"}


def caseevent_indexes(connection):  # type: ignore[no-untyped-def]
    return {index["name"] for index in inspect(connection).get_indexes("caseevent")}


async def test_0006_round_trip_keeps_the_rows(settings: Settings) -> None:
    async with at_head_with_a_case(settings, NOW) as (db, case):
        async with db.transaction() as session:
            await case_store.add_event(
                session, case_id=case.id, kind="claimed", actor="U0AGENT1", now=NOW
            )
        assert INDEXES <= await schema(db, caseevent_indexes)

        await downgrade(db, "0005")
        assert not INDEXES & await schema(db, caseevent_indexes)
        assert await row_count(db, "caseevent") == 1
        await upgrade(db)
        assert await current_revision(db) == head_revision() == "0006"
        assert INDEXES <= await schema(db, caseevent_indexes)
