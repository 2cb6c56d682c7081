"""Which outbox items may go next: the head of each ordering key, crisis first then oldest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

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


async def test_only_a_crisis_item_goes_before_earlier_items_of_its_case(
    database_url: str,
) -> None:
    db = Database(database_url)
    try:
        await ensure_migrated(db, auto=True)
        # An agent's note (priority 0), then a copy of the person's answer (the case's
        # severity: 1), then the case turns to crisis.
        await enqueue(db, kind="offer note", channel="c1", ordering_key="case:a")
        await enqueue(db, kind="copy", channel="c1", ordering_key="case:a", priority=1)
        await enqueue(
            db,
            kind="crisis card",
            channel="c2",
            ordering_key="case:a",
            priority=outbox_store.CRISIS_PRIORITY,
        )
        await enqueue(
            db,
            kind="crisis line",
            channel="c2",
            ordering_key="case:a",
            priority=outbox_store.CRISIS_PRIORITY,
        )

        # The thread keeps its order (the note before the copy that answers it); the
        # crisis card does not wait for them, and its own line waits for it.
        assert await due(db) == ["crisis card", "offer note"]
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


async def test_only_a_card_never_tried_is_superseded(database_url: str) -> None:
    """A card tried before, or being tried now, may be in Slack with its ts not yet
    stored: it and what waits on it must still go out."""
    db = Database(database_url)
    try:
        await ensure_migrated(db, auto=True)

        async def card_for(handoff_id: int, key: str) -> tuple[OutboxItem, OutboxItem]:
            async with db.transaction() as session:
                fields = {"now": NOW, "ordering_key": key, "channel": "c1"}
                payload = {"case_id": key, "handoff_id": handoff_id}
                card = await outbox_store.enqueue(
                    session, kind=outbox_store.POST_CARD, payload=payload, **fields
                )
                note = await outbox_store.enqueue(
                    session, kind="thread_notice", payload={**payload, "text": "t"}, **fields
                )
                other = await outbox_store.enqueue(
                    session, kind="approval_request", payload=payload, **fields
                )
            assert other.id is not None
            return card, note

        async def supersede(handoff_id: int, key: str) -> bool:
            async with db.transaction() as session:
                return await outbox_store.supersede_unposted_card(
                    session, ordering_key=key, handoff_id=handoff_id, now=NOW, why="test"
                )

        async def statuses(key: str) -> dict[str, str]:
            async with db.read() as session:
                rows = await session.exec(select(OutboxItem).where(OutboxItem.ordering_key == key))
                return {item.kind: item.status for item in rows.all()}

        await card_for(1, "case:fresh")
        assert await supersede(1, "case:fresh")
        assert await statuses("case:fresh") == {
            outbox_store.POST_CARD: "done",
            "thread_notice": "done",
            "approval_request": "pending",  # needs no card: it still goes out
        }

        tried, _ = await card_for(2, "case:tried")
        async with db.transaction() as session:
            assert tried.id is not None
            await outbox_store.retry_later(
                session, item_id=tried.id, at=NOW, error="timeout: did Slack take it?"
            )
        leased, _ = await card_for(3, "case:leased")
        async with db.transaction() as session:
            assert leased.id is not None
            assert await outbox_store.lease(session, item_id=leased.id, now=NOW, lease_s=15)
        for handoff_id, key in ((2, "case:tried"), (3, "case:leased")):
            assert not await supersede(handoff_id, key)
            assert set((await statuses(key)).values()) == {"pending"}
    finally:
        await db.close()
