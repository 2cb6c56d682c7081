"""A socket catching up: everything missed at once, however much, and again after the
store failed a read (a PostgreSQL restart or failover) while the socket stayed open."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from bot import keys
from bot.clock import system_clock
from bot.pgbus import asyncpg_dsn
from bot.store import messages as message_store
from bot.store.models import Case
from tests.support import Person, frames_until_quiet, open_socket


async def add_more_than_a_page(client: TestClient, person: Person) -> int:
    """More agent messages than one read of the store returns; the case's last seq."""
    async with client.app[keys.DB].transaction() as session:
        case = await session.get(Case, person.conversation_id, with_for_update=True)
        assert case is not None
        new = message_store.NewMessages()
        for n in range(message_store.PAGE + 100):
            new.append(case=case, sender="agent", text=f"update {n}", now=system_clock())
        await new.write(session)
        return case.last_seq


async def test_a_reconnect_after_more_than_one_read_gets_everything_at_once(
    client: TestClient,
) -> None:
    person = Person(client)
    await person.start()
    last = await add_more_than_a_page(client, person)

    ws = await open_socket(client, person, after=0)
    frames = await frames_until_quiet(ws, 2)
    await ws.close()

    seqs = [f["message"]["seq"] for f in frames if f["type"] == "message"]
    assert seqs == list(range(1, last + 1))  # the newest included, none waiting for a poll


async def fail_the_sockets_next_read(client: TestClient, person: Person) -> None:
    """Make the socket's next read of the store wait on a lock, then end its connection, as
    a PostgreSQL restart or failover ends the reads in flight."""
    dsn = asyncpg_dsn(client.app[keys.DB].url)
    locker, killer = await asyncpg.connect(dsn), await asyncpg.connect(dsn)
    try:
        transaction = locker.transaction()
        await transaction.start()
        await locker.execute("LOCK TABLE message IN ACCESS EXCLUSIVE MODE")
        await client.app[keys.BUS].publish(person.conversation_id)  # the socket reads
        waiting: list[Any] = []
        for _ in range(100):
            waiting = await killer.fetch(
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                " AND pid <> pg_backend_pid()"
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting, "the socket's read never waited on the lock"
        for row in waiting:
            await killer.execute("SELECT pg_terminate_backend($1)", row["pid"])
        await transaction.rollback()
    finally:
        await locker.close()
        await killer.close()


async def test_after_a_failed_read_the_socket_still_gets_what_is_written(
    client: TestClient,
) -> None:
    if not client.app[keys.DB].is_postgres:
        pytest.skip("ends a PostgreSQL connection")
    bus = client.app[keys.BUS]
    person = Person(client)
    await person.start()
    ws = await open_socket(client, person)
    await frames_until_quiet(ws, 0.5)  # the greeting
    await fail_the_sockets_next_read(client, person)

    # PostgreSQL answers again. The person writes from another tab; this socket shows it
    # well before its 10 s safety poll.
    await person.say("I was charged twice for my session")
    frames = await frames_until_quiet(ws, 3)
    texts = [f["message"]["text"] for f in frames if f["type"] == "message"]
    assert "I was charged twice for my session" in texts

    await ws.close()
    await asyncio.sleep(0.2)
    assert bus.local_subscriber_count() == 0  # the closed socket no longer listens


async def test_reading_a_long_conversation_over_rest_says_when_there_is_more(
    client: TestClient,
) -> None:
    person = Person(client)
    await person.start()
    last = await add_more_than_a_page(client, person)
    url = f"/api/v1/conversations/{person.conversation_id}/messages"

    first = await (await client.get(url, headers=person.auth)).json()
    after = first["messages"][-1]["seq"]
    rest = await (await client.get(f"{url}?after={after}", headers=person.auth)).json()

    assert (len(first["messages"]), first["has_more"]) == (message_store.PAGE, True)
    assert rest["has_more"] is False
    seqs = [m["seq"] for m in first["messages"] + rest["messages"]]
    assert seqs == list(range(1, last + 1))
