"""DATABASE_URL as people paste it: Heroku's `postgres://…`, often with libpq's `?sslmode=…`
(Heroku Postgres requires SSL). The same URL must open both the store's engine (SQLAlchemy
hands each query parameter to asyncpg.connect as a keyword, which has `ssl`, not `sslmode`)
and the bus's own connections (asyncpg's DSN parser, which knows `sslmode` and sends any
other parameter, `ssl` among them, to the server as a setting)."""

from __future__ import annotations

import asyncio

import pytest

from bot.bus import Bus
from bot.pgbus import PgBusTransport, asyncpg_dsn
from bot.settings import Settings
from bot.store.db import Database
from bot.store.migrate import current_revision


def database_url(url: str) -> str:
    return Settings(database_url=url, _env_file=None).database_url  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("pasted", "engine_url", "bus_dsn"),
    [
        (
            "postgres://u:p@db.example:5432/d?sslmode=require",
            "postgresql+asyncpg://u:p@db.example:5432/d?ssl=require",
            "postgresql://u:p@db.example:5432/d?sslmode=require",
        ),
        (
            "postgresql://u@h/d?application_name=bot&sslmode=verify-full",
            "postgresql+asyncpg://u@h/d?application_name=bot&ssl=verify-full",
            "postgresql://u@h/d?application_name=bot&sslmode=verify-full",
        ),
        (  # SQLAlchemy's own spelling stays, and the bus gets libpq's
            "postgresql+asyncpg://u@h/d?ssl=require",
            "postgresql+asyncpg://u@h/d?ssl=require",
            "postgresql://u@h/d?sslmode=require",
        ),
        ("postgres://u@h:5432/d", "postgresql+asyncpg://u@h:5432/d", "postgresql://u@h:5432/d"),
    ],
)
def test_ssl_mode_reaches_both_drivers_in_their_spelling(
    pasted: str, engine_url: str, bus_dsn: str
) -> None:
    assert database_url(pasted) == engine_url
    assert asyncpg_dsn(database_url(pasted)) == bus_dsn


def test_sqlite_urls_are_left_alone() -> None:
    url = "sqlite+aiosqlite:///./supportbot.db?sslmode=require"
    assert database_url(url) == url


async def test_a_url_with_sslmode_opens_the_store_and_the_bus(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("sslmode is PostgreSQL's")
    # The test server speaks no TLS: `disable` is the mode that connects here; the
    # parameter's spelling is what is under test.
    pasted = database_url.replace("postgresql+asyncpg://", "postgres://", 1) + "?sslmode=disable"
    url = Settings(database_url=pasted, _env_file=None).database_url  # type: ignore[call-arg]
    db = Database(url)
    try:
        assert await db.ping()
        await current_revision(db)
    finally:
        await db.close()

    transport = PgBusTransport(dsn=asyncpg_dsn(url), bus=Bus())
    await transport.start()
    try:
        async with asyncio.timeout(5):
            await transport.connected.wait()
    finally:
        await transport.stop()
