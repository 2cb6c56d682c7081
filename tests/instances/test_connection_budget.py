"""An instance keeps within the PostgreSQL connections it is given: on a small plan a
burst of people waits for a connection instead of being refused by the server."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest

from bot.app import create_app
from bot.conversation.engine import Engine
from bot.settings import Settings
from tests.support import Person

BUS_CONNECTIONS = 2  # LISTEN and NOTIFY


async def test_a_burst_of_people_stays_within_the_configured_connections(
    aiohttp_client,  # type: ignore[no-untyped-def]
    settings: Settings,
    engine: Engine,
) -> None:
    if settings.is_sqlite:
        pytest.skip("PostgreSQL's connection limit; SQLite has one file")
    small = settings.model_copy(update={"database_pool_size": 2, "database_max_overflow": 1})
    client = await aiohttp_client(create_app(small, engine=engine))
    watcher = await asyncpg.connect(settings.database_url.replace("+asyncpg", ""))
    counts: list[int] = []

    async def watch() -> None:
        while True:
            counts.append(
                await watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            await asyncio.sleep(0.005)

    watching = asyncio.create_task(watch())
    try:
        people = [Person(client) for _ in range(30)]
        await asyncio.gather(*(person.start() for person in people))
        answers = await asyncio.gather(
            *(person.say("I was charged twice this month") for person in people)
        )
    finally:
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        await watcher.close()
    assert all(answer["messages"] for answer in answers)  # every one answered
    assert max(counts) <= 2 + 1 + BUS_CONNECTIONS
