"""Queries over cases and their hand-offs."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.errors import NotFound
from bot.store.models import Case, CaseEvent, HandOff

# Case refs are read aloud over the phone: no 0/O, 1/I/L.
REF_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_case_ref() -> str:
    return "C-" + "".join(secrets.choice(REF_ALPHABET) for _ in range(6))


async def create_case(
    session: AsyncSession,
    *,
    now: datetime,
    locale: str,
    region: str | None,
    person_ref: str | None,
) -> Case:
    case = Case(
        id=uuid.uuid4().hex,
        ref=new_case_ref(),
        locale=locale,
        region=region,
        person_ref=person_ref,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    await session.flush()
    return case


async def get_case(session: AsyncSession, *, case_id: str, for_update: bool = False) -> Case | None:
    """The case; with `for_update`, locked and as it now stands.

    A locked read may have waited for another transaction on the row (a second click on
    a button): its values overwrite what this session read before the lock, which
    would otherwise be kept.
    """
    query = select(Case).where(Case.id == case_id)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.exec(query)).first()


async def require_case(session: AsyncSession, *, case_id: str, for_update: bool = False) -> Case:
    """The case, or NotFound (which the edges turn into a 404 or an ephemeral)."""
    case = await get_case(session, case_id=case_id, for_update=for_update)
    if case is None:
        raise NotFound("case_not_found", "That case no longer exists.")
    return case


async def get_case_by_ref(session: AsyncSession, *, ref: str) -> Case | None:
    return (await session.exec(select(Case).where(Case.ref == ref.upper()))).first()


async def get_case_by_card(session: AsyncSession, *, channel: str, ts: str) -> Case | None:
    query = select(Case).where(Case.slack_channel == channel, Case.slack_ts == ts)
    return (await session.exec(query)).first()


async def was_a_card(session: AsyncSession, *, channel: str, ts: str) -> bool:
    """Whether the message is a hand-off's card, the case's current one or an earlier one."""
    query = select(HandOff.id).where(HandOff.slack_channel == channel, HandOff.slack_ts == ts)
    return (await session.exec(query.limit(1))).first() is not None


async def next_seq(session: AsyncSession, *, case_id: str) -> int:
    """Allocate the case's next message number; the row update serialises writers."""
    result = await session.exec(
        update(Case)
        .where(col(Case.id) == case_id)
        .values(last_seq=Case.last_seq + 1)
        .returning(Case.last_seq)
    )
    return int(result.scalar_one())


async def transition_status(
    session: AsyncSession,
    *,
    case_id: str,
    from_statuses: tuple[str, ...],
    now: datetime,
    **values: Any,
) -> bool:
    """Compare-and-set on the case status: True only for the one caller that moved it."""
    result = await session.exec(
        update(Case)
        .where(col(Case.id) == case_id, col(Case.status).in_(from_statuses))
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def open_handoff(session: AsyncSession, *, case_id: str) -> HandOff | None:
    query = (
        select(HandOff)
        .where(HandOff.case_id == case_id, col(HandOff.status).in_(("open", "claimed")))
        .order_by(col(HandOff.id).desc())
    )
    return (await session.exec(query)).first()


async def handoffs_for_case(session: AsyncSession, *, case_id: str) -> list[HandOff]:
    query = select(HandOff).where(HandOff.case_id == case_id).order_by(col(HandOff.id))
    return list((await session.exec(query)).all())


async def add_event(
    session: AsyncSession,
    *,
    case_id: str,
    kind: str,
    actor: str,
    now: datetime,
    handoff_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case_id,
        handoff_id=handoff_id,
        kind=kind,
        actor=actor,
        data=data or {},
        created_at=now,
    )
    session.add(event)
    return event


async def latest_event_kind(
    session: AsyncSession, *, case_id: str, kinds: Sequence[str]
) -> str | None:
    """Which of `kinds` the case's audit trail holds last, if any."""
    query = (
        select(CaseEvent.kind)
        .where(CaseEvent.case_id == case_id, col(CaseEvent.kind).in_(list(kinds)))
        .order_by(col(CaseEvent.id).desc())
        .limit(1)
    )
    return (await session.exec(query)).first()


async def latest_event(
    session: AsyncSession, *, case_id: str, kind: str, handoff_id: int | None = None
) -> CaseEvent | None:
    """The case's last `kind` event (of one hand-off, when given), if any."""
    query = select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
    if handoff_id is not None:
        query = query.where(CaseEvent.handoff_id == handoff_id)
    return (await session.exec(query.order_by(col(CaseEvent.id).desc()).limit(1))).first()


async def events_for_case(session: AsyncSession, *, case_id: str) -> list[CaseEvent]:
    query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.id))
    return list((await session.exec(query)).all())


async def unclaimed_handoffs(
    session: AsyncSession, *, queue: str, posted: bool = False
) -> list[tuple[HandOff, Case]]:
    """Open hand-offs in `queue` nobody has claimed (only those whose card is in Slack,
    with `posted`)."""
    query = (
        select(HandOff, Case)
        .join(Case, col(Case.id) == col(HandOff.case_id))
        .where(HandOff.queue == queue, HandOff.status == "open")
        .order_by(col(HandOff.id))
    )
    if posted:
        query = query.where(col(HandOff.posted_at).is_not(None))
    return [(handoff, case) for handoff, case in (await session.exec(query)).all()]


async def count_events(
    session: AsyncSession, *, case_id: str, kind: str, handoff_id: int | None = None
) -> int:
    """How many `kind` events the case has (those of one hand-off, when given)."""
    query = (
        select(func.count())
        .select_from(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
    )
    if handoff_id is not None:
        query = query.where(CaseEvent.handoff_id == handoff_id)
    return int((await session.exec(query)).one())
