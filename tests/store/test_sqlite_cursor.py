"""SQLite statements run in one hop to aiosqlite's thread (bot/store/sqlite_cursor.py) and
still answer as a DB-API cursor should: rows, row counts, new ids, errors."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.store.db import Database
from bot.store.sqlite_cursor import OneHopConnection


@pytest.fixture
async def db(tmp_path) -> Database:  # type: ignore[no-untyped-def]
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/cursor.db")
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)"))
    yield database
    await database.close()


async def test_statements_answer_as_a_cursor_should(db: Database) -> None:
    async with db.engine.begin() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneHopConnection)

        one = await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
        assert one.lastrowid == 1
        many = await conn.execute(
            text("INSERT INTO t (name) VALUES (:name)"), [{"name": "b"}, {"name": "c"}]
        )
        assert many.rowcount == 2
        returned = await conn.execute(text("INSERT INTO t (name) VALUES ('d') RETURNING id, name"))
        assert returned.all() == [(4, "d")]

        updated = await conn.execute(text("UPDATE t SET name = name || '!' WHERE id > 2"))
        assert updated.rowcount == 2
        names = await conn.execute(text("SELECT name FROM t ORDER BY id"))
        assert names.scalars().all() == ["a", "b", "c!", "d!"]
        empty = await conn.execute(text("SELECT name FROM t WHERE id > 99"))
        assert list(empty.keys()) == ["name"] and empty.all() == []


async def test_a_refused_statement_raises_and_changes_nothing(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
    with pytest.raises(IntegrityError):
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('b')"))
            await conn.execute(text("INSERT INTO t (name) VALUES ('a')"))
    async with db.engine.connect() as conn:
        names = await conn.execute(text("SELECT name FROM t"))
        assert names.scalars().all() == ["a"]
