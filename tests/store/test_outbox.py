"""Which outbox items may go next: the head of each ordering key, crisis first then oldest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store import outbox as outbox_store
from bot.store.db import Database
from bot.store.migrate import ensure_migrated
from bot.store.models import OutboxItem

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


async def enqueue(db: Database, **fields: object) -> OutboxItem:
    async with db.transaction() as session:
        return await outbox_store.enqueue(session, now=NOW, payload={}, **fields)  # type: ignore[arg-type]


async def due(db: Database, *, skip: tuple[str, ...] = ()) -> list[str]:
    async with db.read() as session:
        items = await outbox_store.candidates(session, now=NOW, limit=64, skip_channels=skip)
    return [item.kind for item in items]


async def test_only_the_head_of_each_ordering_key_is_due(database_url: str) -> None:
    db = Database(database_url)
    try:
        await ensure_migrated(db, auto=True)
        card_a = await enqueue(db, kind="card a", channel="c1", ordering_key="case:a")
        await enqueue(db, kind="line a", channel="c1", ordering_key="case:a")
        await enqueue(db, kind="card b", channel="c2", ordering_key="case:b")
        await enqueue(db, kind="no key", channel=None, ordering_key=None)
        await enqueue(
            db,
            kind="crisis card",
            channel="c3",
            ordering_key="case:c",
            priority=outbox_store.CRISIS_PRIORITY,
        )

        # A thread line never goes before its card; crisis first, then oldest.
        assert await due(db) == ["crisis card", "card a", "card b", "no key"]
        assert await due(db, skip=("c1", "c3")) == ["card b", "no key"]

        async with db.transaction() as session:
            assert card_a.id is not None
            await outbox_store.complete(session, item_id=card_a.id, now=NOW)
        assert await due(db) == ["crisis card", "line a", "card b", "no key"]

        # An item waiting for a retry holds back the rest of its key, not other keys.
        async with db.transaction() as session:
            later = await outbox_store.candidates(session, now=NOW, limit=64)
            line_a = next(item for item in later if item.kind == "line a")
            assert line_a.id is not None
            await outbox_store.retry_later(
                session, item_id=line_a.id, at=NOW + timedelta(minutes=1), error="http_500"
            )
        await enqueue(db, kind="second line a", channel="c1", ordering_key="case:a")
        assert await due(db) == ["crisis card", "card b", "no key"]
    finally:
        await db.close()


async def test_a_card_post_is_unsettled_from_its_lease_until_it_is_done(database_url: str) -> None:
    db = Database(database_url)

    async def unsettled(enqueued_by: datetime) -> bool:
        async with db.read() as session:
            return await outbox_store.card_post_unsettled(session, enqueued_by=enqueued_by)

    try:
        await ensure_migrated(db, auto=True)
        card = await enqueue(db, kind=outbox_store.POST_CARD, channel="c1", ordering_key="case:a")
        await enqueue(db, kind="thread_message", channel="c1", ordering_key="case:b")
        assert card.id is not None
        # Never taken for delivery: it cannot be in Slack yet.
        assert not await unsettled(NOW + timedelta(hours=1))

        async with db.transaction() as session:
            assert await outbox_store.lease(session, item_id=card.id, now=NOW, lease_s=15)
        assert await unsettled(NOW + timedelta(seconds=1))
        # A thread that began before the card was enqueued cannot start with it.
        assert not await unsettled(NOW - timedelta(seconds=1))

        # A failed try leaves its outcome unknown until a later one settles it.
        async with db.transaction() as session:
            await outbox_store.retry_later(
                session, item_id=card.id, at=NOW + timedelta(seconds=5), error="timeout"
            )
        assert await unsettled(NOW + timedelta(seconds=1))

        async with db.transaction() as session:
            await outbox_store.complete(session, item_id=card.id, now=NOW)
        assert not await unsettled(NOW + timedelta(hours=1))
    finally:
        await db.close()
