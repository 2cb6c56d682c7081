"""Shared steps for the migration round-trip tests: a store at head with one case in it,
the schema as the database reports it, a table's rows."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import text

from bot.settings import Settings
from bot.store import cases as case_store
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.store.models import Case

T = TypeVar("T")


@asynccontextmanager
async def at_head_with_a_case(
    settings: Settings, now: datetime
) -> AsyncIterator[tuple[Database, Case]]:
    """The configured store migrated to head, holding one new case; closed afterwards."""
    db = Database(settings.database_url)
    try:
        await upgrade(db)
        async with db.transaction() as session:
            case = await case_store.create_case(
                session, now=now, locale="en", region="SE", person_ref=None
            )
        yield db, case
    finally:
        await db.close()


async def schema(db: Database, read: Callable[[Any], T]) -> T:
    """What `read` finds with SQLAlchemy's inspector on a connection of `db`."""
    async with db.engine.connect() as conn:
        return await conn.run_sync(read)


async def row_count(db: Database, table: str) -> int:
    async with db.engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
