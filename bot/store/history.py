"""A person's earlier cases, so nobody asks them to tell their story again."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import Case


async def earlier_cases(
    session: AsyncSession, *, person_ref: str | None, case_id: str, limit: int = 10
) -> list[Case]:
    """The person's other cases, newest first (none without a person ref)."""
    if not person_ref:
        return []
    query = (
        select(Case)
        .where(Case.person_ref == person_ref, Case.id != case_id)
        .order_by(col(Case.created_at).desc())
        .limit(limit)
    )
    return list((await session.exec(query)).all())
