"""The outbox worker, running: one channel's items go one after another, each as soon as the
one before it is done, not at the next idle poll."""

from __future__ import annotations

import asyncio
import contextlib
import time

from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import system_clock
from bot.outbox import OutboxWorker
from bot.routing import load_routing
from bot.store import outbox as outbox_store
from bot.store.db import Database
from bot.store.migrate import ensure_migrated
from bot.store.models import OutboxItem

IDLE_POLL_S = 30.0


async def migrated(database_url: str) -> Database:
    db = Database(database_url)
    await ensure_migrated(db, auto=True)
    return db


def worker_without_slack(db: Database) -> OutboxWorker:
    """A worker whose deliveries the test registers; Slack is never called."""
    return OutboxWorker(
        db=db,
        client=AsyncWebClient(token="xoxb-not-called"),
        routing=load_routing(),
        clock=system_clock,
        poll_s=IDLE_POLL_S,
    )


async def test_a_channels_next_item_goes_as_soon_as_the_one_before_is_done(
    database_url: str,
) -> None:
    db = await migrated(database_url)
    worker = worker_without_slack(db)
    delivered: list[str] = []

    async def deliver(item: OutboxItem) -> None:
        delivered.append(str(item.payload["n"]))

    worker.register("probe", deliver)
    async with db.transaction() as session:
        for n in ("card", "first note", "second note"):
            await outbox_store.enqueue(
                session,
                kind="probe",
                now=system_clock(),
                channel="support-general",
                ordering_key="case:one",
                payload={"n": n},
            )
    started = time.monotonic()
    task = asyncio.create_task(worker.run())
    try:
        async with asyncio.timeout(IDLE_POLL_S / 3):
            while len(delivered) < 3:
                await asyncio.sleep(0.01)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await db.close()

    assert delivered == ["card", "first note", "second note"]
    # Each waited for the one before it, not for the worker's idle poll.
    assert time.monotonic() - started < IDLE_POLL_S / 3


async def test_an_item_failing_on_our_own_error_is_parked_and_frees_its_case(
    database_url: str,
) -> None:
    """A bug, not Slack: retried for a while, then parked, so that the case's later posts
    are not held behind it for ever (Slack's own failures are retried as long as they last)."""
    db = await migrated(database_url)
    worker = worker_without_slack(db)
    delivered: list[str] = []

    async def broken(item: OutboxItem) -> None:
        raise KeyError("a field this payload does not have")

    async def deliver(item: OutboxItem) -> None:
        delivered.append(item.kind)

    worker.register("broken", broken)
    worker.register("after it", deliver)
    try:
        async with db.transaction() as session:
            first = await outbox_store.enqueue(
                session, kind="broken", now=system_clock(), payload={}, ordering_key="case:x"
            )
            await outbox_store.enqueue(
                session, kind="after it", now=system_clock(), payload={}, ordering_key="case:x"
            )
            first.attempts = 11  # retried eleven times already
        await worker.drain_once()
        await worker.drain_once()

        async with db.read() as session:
            parked = await session.get(OutboxItem, first.id)
        assert parked is not None and parked.status == "parked"
        assert "gave up after 12 attempts" in (parked.last_error or "")
        assert delivered == ["after it"]
    finally:
        await db.close()
