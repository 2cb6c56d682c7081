"""Queries for the data lifecycle: finding what retention or a person's request covers,
and deleting or anonymising it while the non-personal metrics stay.

Every table is classified here: either it links to a case (and so, maybe, to a person) and
the lifecycle handles it, or it says why it holds nothing personal. A test checks that the
classification covers every table in the schema, so a new table cannot slip past.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store import outbox as outbox_store
from bot.store.models import (
    Case,
    CaseEvent,
    Compensation,
    HandOff,
    Incident,
    Message,
    OutboxItem,
)

# Tables whose rows belong to a case; the lifecycle reads, deletes or anonymises them.
CASE_TABLES = frozenset({"case", "message", "handoff", "caseevent", "outboxitem", "compensation"})
# Tables that hold nothing about a person, and why.
UNLINKED_TABLES: dict[str, str] = {
    "seenkey": "Slack event ids and request signatures, kept minutes for idempotency",
    "lease": "which instance runs periodic work",
    "channelpace": "when each Slack channel may next be posted to",
    "incident": "an outage as ops describe it; cases point at it, it names no one",
    "incidentupdate": "which proactive update of an incident went out, and when",
    "alembic_version": "the schema revision",
}

# Statuses of a case nobody is working on any more.
CLOSED_STATUSES = ("resolved", "bot")
# Audit events written when a case's transcript was removed.
TRANSCRIPT_REMOVED = ("purged", "privacy_erase")
# Outbox items already delivered or given up on: their payloads are history only.
SETTLED_OUTBOX = ("done", "parked")
# The outbox item that takes a case's posts out of Slack (bot.lifecycle delivers it).
SLACK_DELETE_THREAD = "slack_delete_thread"
# Behind live work: a purge of a thousand old cases must not delay today's hand-offs.
PURGE_PRIORITY = -10
# One lane for every deletion: they go one at a time, within chat.delete's Tier 3
# allowance, instead of a backlog of thousands bursting into 429s; live hand-offs use
# their own keys and never wait behind it.
DELETION_LANE = "lifecycle:slack_delete"
# Why an erased case's cards say "transcript purged".
ERASURE_REASON = "erasure request"
# The audit event of a lead's approval request posted outside the case's thread (in the
# leads channel): where it is, for the clean-up to take the agent's reason out of it.
APPROVAL_POSTED = "approval_posted"
# Pending outbox kinds whose whole job is a post about the case in its Slack thread.
THREAD_POSTS = frozenset({"thread_message", "thread_notice"})
# Kinds that write in the case's thread or on its card as part of their job, under the
# case's ordering key: one being delivered during an erasure may land after the clean-up
# (a card-move note quoting the agent's reason, the card redrawn from a read made before
# the erasure, its summary back and its "transcript purged" mark gone, an approval
# request in the thread).
WRITES_IN_THREAD = THREAD_POSTS | {"moved_card", "approval_request", "update_card"}
# Outbox payload keys that carry text an agent typed, by kind.
PAYLOAD_TEXT_BY_KIND: dict[str, frozenset[str]] = {
    "moved_card": frozenset({"reason"}),
    "thread_notice": frozenset({"text"}),
}
# Keep IN lists well below SQLite's and asyncpg's bound-parameter limits.
CHUNK = 500

# Event data keys that carry free text typed by a person or an agent.
FREE_TEXT_KEYS = frozenset({"text", "note", "summary", "message", "comment", "body", "title"})
# Keys that are codes in most events but free text in these ones (an agent types the reason).
FREE_TEXT_BY_KIND: dict[str, frozenset[str]] = {"transferred": frozenset({"reason"})}
# A code or an id has no spaces and is short; anything else is treated as text.
MAX_CODE_CHARS = 64


def chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def last_activity(case: Case) -> datetime:
    return max(case.updated_at, case.resolved_at or case.updated_at)


async def purgeable_cases(
    session: AsyncSession, *, cutoff: datetime, limit: int | None = None, lock: bool = False
) -> list[Case]:
    """Closed cases whose last activity is before `cutoff`, not purged since.

    A case is closed when resolved, or when it never left the bot and has been idle; a
    message newer than the cutoff keeps it (updated_at may lag behind a late message).
    With `lock`, the rows are locked (PostgreSQL) so that a message arriving meanwhile
    waits for the purge; a case being written right now is skipped, for the next run.
    """
    newer_message = exists().where(
        and_(col(Message.case_id) == col(Case.id), col(Message.created_at) >= cutoff)
    )
    # Purged (or erased) since its last activity: nothing new to delete. A case that
    # came back to life after a purge is purged again once it is old.
    already_purged = exists().where(
        and_(
            col(CaseEvent.case_id) == col(Case.id),
            col(CaseEvent.kind).in_(TRANSCRIPT_REMOVED),
            col(CaseEvent.created_at) >= col(Case.updated_at),
        )
    )
    query = (
        select(Case)
        .where(
            col(Case.status).in_(CLOSED_STATUSES),
            col(Case.updated_at) < cutoff,
            or_(col(Case.resolved_at).is_(None), col(Case.resolved_at) < cutoff),
            ~newer_message,
            ~already_purged,
        )
        .order_by(col(Case.created_at), col(Case.id))
        .limit(limit)
    )
    if lock:
        query = query.with_for_update(of=Case, skip_locked=True)
    return list((await session.exec(query)).all())


async def cases_for_person(
    session: AsyncSession, *, person_refs: Sequence[str], lock: bool = False
) -> list[Case]:
    """The person's cases, oldest first; with `lock`, locked against concurrent writers
    (a new message allocates its number on the case row, so it waits for the erasure)."""
    if not person_refs:
        return []
    query = (
        select(Case)
        .where(col(Case.person_ref).in_(list(person_refs)))
        .order_by(col(Case.created_at), col(Case.id))
    )
    if lock:
        query = query.with_for_update(of=Case)
    return list((await session.exec(query)).all())


async def message_counts(
    session: AsyncSession, *, case_ids: Sequence[str]
) -> dict[str, dict[str, int]]:
    """How many messages each case has, by sender (user, bot, agent, system)."""
    counts: dict[str, dict[str, int]] = {}
    for part in chunks(case_ids):
        query = (
            select(Message.case_id, Message.sender, func.count())
            .where(col(Message.case_id).in_(part))
            .group_by(col(Message.case_id), col(Message.sender))
        )
        for case_id, sender, n in (await session.exec(query)).all():
            counts.setdefault(case_id, {})[sender] = int(n)
    return counts


async def delete_messages(session: AsyncSession, *, case_ids: Sequence[str]) -> int:
    deleted = 0
    for part in chunks(case_ids):
        result = await session.exec(
            delete(Message)
            .where(col(Message.case_id).in_(part))
            .execution_options(synchronize_session=False)
        )
        deleted += int(result.rowcount)  # type: ignore[attr-defined]
    return deleted


async def clear_transcript_fields(
    session: AsyncSession, *, case_ids: Sequence[str], erased_at: datetime | None = None
) -> None:
    """Clear the summary and the engine's state (it quotes the person); with `erased_at`
    (an erasure request), also the person ref, so the case no longer leads to anyone, and
    the case is closed to further messages."""
    values: dict[str, Any] = {"summary": None, "engine_state": {}}
    if erased_at is not None:
        values["person_ref"] = None
        values["erased_at"] = erased_at
    for part in chunks(case_ids):
        await session.exec(
            update(Case)
            .where(col(Case.id).in_(part))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def strip_text(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """An event's data without free text: codes, ids, numbers and flags stay."""
    text_keys = FREE_TEXT_KEYS | FREE_TEXT_BY_KIND.get(kind, frozenset())
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if key in text_keys:
            continue
        if value is None or isinstance(value, bool | int | float):
            kept[key] = value
        elif isinstance(value, str) and len(value) <= MAX_CODE_CHARS and value.split() == [value]:
            kept[key] = value
        # Anything else (prose, nested structures) may quote someone: dropped.
    return kept


async def strip_event_text(session: AsyncSession, *, case_ids: Sequence[str]) -> int:
    """Rewrite the audit trail of these cases without free text; returns events changed."""
    changed = 0
    for part in chunks(case_ids):
        events = await session.exec(select(CaseEvent).where(col(CaseEvent.case_id).in_(part)))
        for event in events.all():
            if not event.data:
                continue
            stripped = strip_text(event.kind, event.data)
            if stripped != event.data:
                event.data = stripped
                session.add(event)
                changed += 1
    return changed


def outbox_case_id() -> Any:
    # The outbox has no case column; its payload names the case (JSON ->> on PostgreSQL,
    # json_extract on SQLite).
    return col(OutboxItem.payload)["case_id"].as_string()


async def delete_settled_outbox(session: AsyncSession, *, case_ids: Sequence[str]) -> int:
    """Delivered or parked side effects of these cases: their payloads point at messages
    and may carry text, and they are worth nothing once settled. Pending ones still have
    work to do (their deliveries cope with a message that is gone)."""
    deleted = 0
    for part in chunks(case_ids):
        result = await session.exec(
            delete(OutboxItem)
            .where(col(OutboxItem.status).in_(SETTLED_OUTBOX), outbox_case_id().in_(part))
            .execution_options(synchronize_session=False)
        )
        deleted += int(result.rowcount)  # type: ignore[attr-defined]
    return deleted


async def quiet_pending_outbox(
    session: AsyncSession, *, case_ids: Sequence[str], now: datetime
) -> set[str]:
    """Pending side effects of these cases that would put text back in Slack after the
    threads are cleaned: thread posts are dropped (they quote the case), and the reason an
    agent typed comes out of the rest.

    Returns the cases with a write in their thread being delivered at this moment
    (leased by a worker, perhaps on another instance, that holds its text already): their
    threads must be cleaned again once that delivery ends.
    """
    in_flight: set[str] = set()
    for part in chunks(case_ids):
        pending = await session.exec(
            select(OutboxItem).where(
                col(OutboxItem.status) == "pending", outbox_case_id().in_(part)
            )
        )
        for item in pending.all():
            leased = item.locked_until is not None and item.locked_until > now
            if item.kind in THREAD_POSTS and not leased:
                await session.delete(item)
                continue
            if item.kind in WRITES_IN_THREAD and leased:
                in_flight.add(str(item.payload.get("case_id")))
            typed = PAYLOAD_TEXT_BY_KIND.get(item.kind, frozenset()) & item.payload.keys()
            if typed:
                item.payload = {k: v for k, v in item.payload.items() if k not in typed}
                session.add(item)
    return in_flight


async def queue_slack_clean_up(
    session: AsyncSession,
    *,
    case_id: str,
    handoffs: Sequence[HandOff],
    posts: Sequence[tuple[str, str, str]],
    reason: str,
    now: datetime,
    lanes: Sequence[str] = (DELETION_LANE,),
) -> None:
    """Queue the clean-up of a case's posts in Slack: its cards and their threads
    (`handoffs`, posted) and its approval requests in the leads channel (`posts`: channel,
    ts, compensation id). Once in each of `lanes`."""
    payload = {
        "case_id": case_id,
        "handoff_ids": [handoff.id for handoff in handoffs],
        "posts": [list(post) for post in posts],
        "reason": reason,
    }
    for lane in lanes:
        await outbox_store.enqueue(
            session,
            kind=SLACK_DELETE_THREAD,
            now=now,
            ordering_key=lane,
            priority=PURGE_PRIORITY,
            payload=payload,
        )


async def clear_compensation_reasons(session: AsyncSession, *, case_ids: Sequence[str]) -> None:
    """A waiver or credit stays (amount, status, who approved: billing and the report need
    it, and its id is billing's idempotency key) but the reason an agent typed goes."""
    for part in chunks(case_ids):
        await session.exec(
            update(Compensation)
            .where(col(Compensation.case_id).in_(part))
            .values(reason="")
            .execution_options(synchronize_session=False)
        )


async def posted_handoffs(
    session: AsyncSession, *, case_ids: Sequence[str]
) -> dict[str, list[HandOff]]:
    """Each case's hand-offs whose card reached Slack (each has a thread), oldest first."""
    found: dict[str, list[HandOff]] = {}
    for part in chunks(case_ids):
        query = (
            select(HandOff)
            .where(col(HandOff.case_id).in_(part), col(HandOff.slack_ts).is_not(None))
            .order_by(col(HandOff.id))
        )
        for handoff in (await session.exec(query)).all():
            found.setdefault(handoff.case_id, []).append(handoff)
    return found


async def approval_requests_posted(
    session: AsyncSession, *, case_ids: Sequence[str]
) -> dict[str, list[tuple[str, str, str]]]:
    """Each case's approval requests posted in the leads channel, outside its threads:
    (channel, ts, compensation id)."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for part in chunks(case_ids):
        query = (
            select(CaseEvent)
            .where(col(CaseEvent.case_id).in_(part), CaseEvent.kind == APPROVAL_POSTED)
            .order_by(col(CaseEvent.id))
        )
        for event in (await session.exec(query)).all():
            data = event.data or {}
            post = (data.get("channel"), data.get("ts"), data.get("compensation_id"))
            if all(isinstance(part, str) for part in post):
                found.setdefault(event.case_id, []).append(post)  # type: ignore[arg-type]
    return found


async def rows_for_cases(
    session: AsyncSession, *, case_ids: Sequence[str], include_internal: bool = False
) -> dict[str, list[Any]]:
    """Every row linked to these cases, table by table, oldest first."""
    rows: dict[str, list[Any]] = {
        "messages": [],
        "handoffs": [],
        "events": [],
        "compensations": [],
        "outbox": [],
        "incidents": [],
    }
    incident_ids: set[int] = set()
    for part in chunks(case_ids):
        messages = select(Message).where(col(Message.case_id).in_(part))
        if not include_internal:
            messages = messages.where(col(Message.internal).is_(False))
        rows["messages"] += (await session.exec(messages.order_by(col(Message.id)))).all()
        rows["handoffs"] += (
            await session.exec(
                select(HandOff).where(col(HandOff.case_id).in_(part)).order_by(col(HandOff.id))
            )
        ).all()
        rows["events"] += (
            await session.exec(
                select(CaseEvent)
                .where(col(CaseEvent.case_id).in_(part))
                .order_by(col(CaseEvent.id))
            )
        ).all()
        rows["compensations"] += (
            await session.exec(
                select(Compensation)
                .where(col(Compensation.case_id).in_(part))
                .order_by(col(Compensation.created_at))
            )
        ).all()
        rows["outbox"] += (
            await session.exec(
                select(OutboxItem).where(outbox_case_id().in_(part)).order_by(col(OutboxItem.id))
            )
        ).all()
        linked = await session.exec(
            select(Case.incident_id).where(
                col(Case.id).in_(part), col(Case.incident_id).is_not(None)
            )
        )
        incident_ids.update(i for i in linked.all() if i is not None)
    if incident_ids:
        rows["incidents"] = list(
            (
                await session.exec(
                    select(Incident)
                    .where(col(Incident.id).in_(sorted(incident_ids)))
                    .order_by(col(Incident.id))
                )
            ).all()
        )
    return rows
