"""CSAT: the person rates a resolved case 1–5, once per resolution; the report averages it.

A rating belongs to the latest resolution, whatever the case's status now: a "thank you"
written after it reopens the case, and must not take the question away.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import col, or_

from bot.chat import erased
from bot.clock import Clock
from bot.errors import Conflict, Invalid, NotFound
from bot.store import cases as case_store
from bot.store.db import Database
from bot.store.models import Case

MIN_SCORE, MAX_SCORE = 1, 5


async def record_csat(db: Database, clock: Clock, *, case_id: str, score: object) -> Case:
    """Store the person's rating of the case's latest resolution; one per resolution.

    Args:
        score: an integer 1..5 as the client sent it.
    """
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise Invalid("score_invalid", f"`score` must be an integer {MIN_SCORE}–{MAX_SCORE}.")
    now = clock()
    async with db.transaction() as session:
        stored = await session.exec(
            update(Case)
            .where(
                col(Case.id) == case_id,
                col(Case.resolved_at).is_not(None),
                # Not rated since this resolution: a case reopened and resolved again is
                # asked again (the widget does), and the new rating replaces the old.
                or_(col(Case.csat_at).is_(None), col(Case.csat_at) < col(Case.resolved_at)),
            )
            .values(csat_score=score, csat_at=now)
            .execution_options(synchronize_session=False)
        )
        case = await case_store.get_case(session, case_id=case_id)
        if case is None:
            raise NotFound("conversation_not_found", "No such conversation.")
        if case.erased_at is not None:
            raise erased()
        await session.refresh(case)
        if stored.rowcount != 1:  # type: ignore[attr-defined]
            if case.resolved_at is None:
                raise Conflict("not_resolved", "A case can be rated once it is resolved.")
            raise Conflict("csat_already", "This case has already been rated.")
        await case_store.add_event(
            session, case_id=case_id, kind="csat", actor="person", now=now, data={"score": score}
        )
    return case
