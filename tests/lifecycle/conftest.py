"""A migrated store (SQLite, or PostgreSQL from DATABASE_URL) and a way to read all of it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from bot.store.db import Database
from bot.store.migrate import upgrade


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await upgrade(database)
    try:
        yield database
    finally:
        await database.close()


async def dump(db: Database) -> str:
    """Every row of every table as text: what a leaked database would show."""
    parts: list[str] = []
    async with db.engine.connect() as conn:
        for name in sorted(SQLModel.metadata.tables):
            rows = await conn.execute(text(f'SELECT * FROM "{name}"'))
            parts.extend(repr(tuple(row)) for row in rows)
    return "\n".join(parts)
