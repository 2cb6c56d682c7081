"""SQLite statements run on the event loop's thread (bot/store/sqlite_cursor.py) and still
answer as a DB-API cursor should: rows, row counts, new ids, errors; another process's
lock is waited out without blocking the loop."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.store import sqlite_cursor
from bot.store.db import Database
from bot.store.sqlite_cursor import InlineConnection


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
        assert isinstance(raw.dbapi_connection, InlineConnection)

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


async def test_another_processs_lock_is_waited_out_without_blocking_the_loop(
    db: Database, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    other = sqlite3.connect(f"{tmp_path}/cursor.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # `python -m bot purge`, say, holds the write lock
    other.execute("INSERT INTO t (name) VALUES ('theirs')")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def write() -> None:
        async with db.engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (name) VALUES ('ours')"))

    ticker = asyncio.create_task(tick())
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writer.done()
    other.execute("COMMIT")
    await asyncio.wait_for(writer, timeout=5)
    ticker.cancel()
    other.close()

    assert ticks >= 10  # the loop kept turning while the write waited
    async with db.engine.connect() as conn:
        names = (await conn.execute(text("SELECT name FROM t ORDER BY id"))).scalars().all()
    assert names == ["theirs", "ours"]


async def test_a_lock_held_too_long_fails_the_write_and_changes_nothing(
    db: Database, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(sqlite_cursor, "SQLITE_BUSY_WAIT_S", 0.2)
    other = sqlite3.connect(f"{tmp_path}/cursor.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(OperationalError, match="locked"):
            async with db.engine.begin() as conn:
                await conn.execute(text("INSERT INTO t (name) VALUES ('ours')"))
    finally:
        other.execute("ROLLBACK")
        other.close()
    async with db.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 0
