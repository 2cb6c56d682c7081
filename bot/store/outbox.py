"""The outbox: side effects stored with the change that caused them, delivered later."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, bindparam, func, update
from sqlalchemy.orm import aliased
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import OutboxItem

CRISIS_PRIORITY = 100
NORMAL_PRIORITY = 0
# The item that posts a hand-off's card; its channel and ts are stored once Slack answers.
POST_CARD = "post_card"


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    now: datetime,
    payload: dict[str, Any],
    channel: str | None = None,
    ordering_key: str | None = None,
    priority: int = NORMAL_PRIORITY,
    not_before: datetime | None = None,
) -> OutboxItem:
    # Not flushed here: the item is written (and numbered) with the caller's next flush,
    # and items added in one session keep the order they were added in.
    item = OutboxItem(
        kind=kind,
        channel=channel,
        ordering_key=ordering_key,
        priority=priority,
        payload=payload,
        next_attempt_at=not_before or now,
        created_at=now,
    )
    session.add(item)
    return item


# The head of its ordering key: the key's lowest pending id, one index lookup per row,
# except for a crisis item, which waits only for the crisis items queued before it: never
# behind the case's earlier ordinary ones (an old card backing off for minutes, thread
# copies in a busy channel). Every other item waits for everything before it, so a
# thread's posts keep their order. (Written as NOT EXISTS an earlier one, PostgreSQL
# planned a nested-loop anti-join while the table had no statistics yet, as in a surge on
# a fresh table: 35 ms per pass at 500 pending items, against 1.3 ms for this form.) Built
# once: SQLAlchemy caches the compiled query, but building a fresh alias on every pass
# still cost about 1.2 ms of CPU.
_EARLIER = aliased(OutboxItem, name="earlier")
_HEAD_OF_KEY = (
    select(func.min(_EARLIER.id))
    .where(
        _EARLIER.ordering_key == OutboxItem.ordering_key,
        _EARLIER.status == "pending",
        # A crisis item waits only for earlier crisis items; the rest wait for everything.
        or_(OutboxItem.priority < CRISIS_PRIORITY, _EARLIER.priority >= CRISIS_PRIORITY),
    )
    .scalar_subquery()
)


# The due items, crisis first then oldest, each the head of its ordering key. Built once,
# with bind parameters: building this statement afresh took about 0.6 ms of CPU, more than
# running it, and a surge of hand-offs runs it after every batch.
_DUE = (
    select(OutboxItem)
    .where(
        OutboxItem.status == "pending",
        col(OutboxItem.next_attempt_at) <= bindparam("now"),
        or_(
            col(OutboxItem.locked_until).is_(None), col(OutboxItem.locked_until) < bindparam("now")
        ),
        or_(col(OutboxItem.ordering_key).is_(None), col(OutboxItem.id) == _HEAD_OF_KEY),
    )
    .order_by(col(OutboxItem.priority).desc(), col(OutboxItem.id))
    .limit(bindparam("limit", type_=Integer))
)
_DUE_ELSEWHERE = _DUE.where(
    or_(
        col(OutboxItem.channel).is_(None),
        col(OutboxItem.channel).not_in(bindparam("skip", expanding=True)),
    )
)


async def candidates(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    skip_channels: Iterable[str] = (),
) -> list[OutboxItem]:
    """Due items, crisis first then oldest, each the head of its ordering key."""
    params: dict[str, Any] = {"now": now, "limit": limit}
    skip = list(skip_channels)
    if skip:
        params["skip"] = skip
    return list((await session.exec(_DUE_ELSEWHERE if skip else _DUE, params=params)).all())


# Side effects that need the hand-off's card: pointless once the card will never be posted.
CARD_KINDS = (POST_CARD, "update_card", "thread_message", "thread_notice")


async def supersede_unposted_card(
    session: AsyncSession, *, ordering_key: str, handoff_id: int, now: datetime, why: str
) -> bool:
    """Mark a hand-off's card, and what waits on it, done undelivered, if the card was never
    tried: one already tried, or being tried now, may be in Slack (its ts not yet stored).
    Returns whether it did."""
    pending = (
        await session.exec(
            select(OutboxItem).where(
                OutboxItem.ordering_key == ordering_key,
                OutboxItem.status == "pending",
                col(OutboxItem.kind).in_(CARD_KINDS),
            )
        )
    ).all()
    mine = [item for item in pending if item.payload.get("handoff_id") == handoff_id]
    card = [item for item in mine if item.kind == POST_CARD]
    if not card or any(
        item.attempts or (item.locked_until is not None and item.locked_until >= now)
        for item in card
    ):
        return False
    # Conditional, so that an instance leasing one of them meanwhile keeps it.
    result = await session.exec(
        update(OutboxItem)
        .where(
            col(OutboxItem.id).in_([item.id for item in mine]),
            OutboxItem.status == "pending",
            OutboxItem.attempts == 0,
            or_(col(OutboxItem.locked_until).is_(None), col(OutboxItem.locked_until) < now),
        )
        .values(status="done", done_at=now, last_error=f"superseded: {why}"[:255])
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def lease(session: AsyncSession, *, item_id: int, now: datetime, lease_s: float) -> bool:
    """Take an item for delivery; exactly one instance wins a given item."""
    result = await session.exec(
        update(OutboxItem)
        .where(
            col(OutboxItem.id) == item_id,
            col(OutboxItem.status) == "pending",
            or_(col(OutboxItem.locked_until).is_(None), col(OutboxItem.locked_until) < now),
        )
        .values(locked_until=now + timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def complete(session: AsyncSession, *, item_id: int, now: datetime) -> None:
    await session.exec(
        update(OutboxItem)
        .where(col(OutboxItem.id) == item_id)
        .values(status="done", done_at=now, locked_until=None, attempts=OutboxItem.attempts + 1)
        .execution_options(synchronize_session=False)
    )


async def retry_later(
    session: AsyncSession, *, item_id: int, at: datetime, error: str, count_attempt: bool = True
) -> None:
    values: dict[str, Any] = {
        "next_attempt_at": at,
        "locked_until": None,
        "last_error": error[:255],
    }
    if count_attempt:
        values["attempts"] = OutboxItem.attempts + 1
    await session.exec(
        update(OutboxItem)
        .where(col(OutboxItem.id) == item_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def park(session: AsyncSession, *, item_id: int, error: str) -> None:
    await session.exec(
        update(OutboxItem)
        .where(col(OutboxItem.id) == item_id)
        .values(
            status="parked",
            locked_until=None,
            last_error=error[:255],
            attempts=OutboxItem.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )


async def card_post_unsettled(session: AsyncSession, *, enqueued_by: datetime) -> bool:
    """Whether a card enqueued by `enqueued_by` may be in Slack without its ts in the store
    yet: its post taken for delivery, or tried before, and not recorded as done."""
    query = (
        select(OutboxItem.id)
        .where(
            col(OutboxItem.kind) == POST_CARD,
            col(OutboxItem.status) == "pending",
            col(OutboxItem.created_at) <= enqueued_by,
            or_(col(OutboxItem.locked_until).is_not(None), col(OutboxItem.attempts) > 0),
        )
        .limit(1)
    )
    return (await session.exec(query)).first() is not None


async def counts(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(select(OutboxItem.status, func.count()).group_by(OutboxItem.status))
    return {status: int(n) for status, n in rows.all()}


async def next_due(session: AsyncSession) -> datetime | None:
    query = select(func.min(OutboxItem.next_attempt_at)).where(OutboxItem.status == "pending")
    return (await session.exec(query)).one()
