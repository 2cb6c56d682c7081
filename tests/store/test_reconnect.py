"""A pooled PostgreSQL connection that the server closed is replaced, not handed out."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.store.db import Database


async def test_a_connection_the_server_closed_is_replaced(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite has no server to close a connection")
    db = Database(database_url, pool_size=1, max_overflow=0)
    try:
        async with db.transaction() as session:
            pid = (await session.exec(text("SELECT pg_backend_pid()"))).scalar_one()  # type: ignore[call-overload]
        # As a restart or a failover would: the server ends the pooled connection's backend.
        admin = Database(database_url, pool_size=1, max_overflow=0)
        try:
            async with admin.transaction() as session:
                await session.exec(text(f"SELECT pg_terminate_backend({int(pid)})"))  # type: ignore[call-overload]
        finally:
            await admin.close()
        await asyncio.sleep(0.2)  # the closed socket reaches the event loop

        async with db.transaction() as session:
            again = (await session.exec(text("SELECT pg_backend_pid()"))).scalar_one()  # type: ignore[call-overload]
        assert again != pid
    finally:
        await db.close()
