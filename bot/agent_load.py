"""Agent load: how many intense cases (crisis, angry, long) each agent has carried lately.

Support work in a therapy platform's queue is emotionally heavy; after several intense
cases in a few hours an agent is offered a break, and the crisis lane stops pinging them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import CaseEvent, HandOff

DEFAULT_WINDOW_H = 4.0
DEFAULT_THRESHOLD = 3
DEFAULT_LONG_MINUTES = 45
# Hand-off reasons that mean the person was angry or worn out when they reached us.
ANGRY_REASONS = frozenset({"frustration"})
# What ends an agent's hold on a hand-off, in the audit trail (a case that turns to crisis
# is "escalated": its hand-off moves to the crisis lane).
CLAIM_ENDS = ("resolved", "released", "transferred", "escalated")


@dataclass(frozen=True)
class AgentLoad:
    agent: str
    crisis: int = 0
    angry: int = 0
    long: int = 0
    intense: int = 0  # hand-offs with at least one of the above
    handled: int = 0  # every hand-off the agent claimed in the window
    open_now: int = 0


async def agent_loads(
    session: AsyncSession,
    now: datetime,
    *,
    window_h: float = DEFAULT_WINDOW_H,
    long_minutes: int = DEFAULT_LONG_MINUTES,
) -> dict[str, AgentLoad]:
    """Each agent's load over the last `window_h` hours: every claim in the window, and
    every case still held, from the audit trail. A claim lasts until the case is resolved,
    released or transferred, whoever did it: a case passed on or given back counts for
    the time it was held, not since."""
    since = now - timedelta(hours=window_h)
    held = select(HandOff.id).where(HandOff.status == "claimed")
    claims = (
        await session.exec(
            select(CaseEvent)
            .where(
                CaseEvent.kind == "claimed",
                col(CaseEvent.handoff_id).is_not(None),
                or_(col(CaseEvent.created_at) >= since, col(CaseEvent.handoff_id).in_(held)),
            )
            .order_by(col(CaseEvent.id))
        )
    ).all()
    handoff_ids = {claim.handoff_id for claim in claims}
    handoffs = {
        handoff.id: handoff
        for handoff in (
            await session.exec(select(HandOff).where(col(HandOff.id).in_(handoff_ids)))
        ).all()
    }
    ends: dict[int, list[CaseEvent]] = {}
    for event in (
        await session.exec(
            select(CaseEvent)
            .where(col(CaseEvent.kind).in_(CLAIM_ENDS), col(CaseEvent.handoff_id).in_(handoff_ids))
            .order_by(col(CaseEvent.id))
        )
    ).all():
        assert event.handoff_id is not None
        ends.setdefault(event.handoff_id, []).append(event)
    long_after = timedelta(minutes=long_minutes)
    counts: dict[str, dict[str, int]] = {}
    for claim in claims:
        handoff = handoffs.get(claim.handoff_id)
        if handoff is None:
            continue
        # The first end written after the claim (by id: two can share a timestamp).
        end = next(
            (e for e in ends.get(handoff.id or 0, []) if (e.id or 0) > (claim.id or 0)), None
        )
        ended = end.created_at if end is not None else None
        if ended is not None and ended < since:
            continue  # a hold given up before the window (the hand-off is held by another now)
        tally = counts.setdefault(
            claim.actor,
            {"crisis": 0, "angry": 0, "long": 0, "intense": 0, "handled": 0, "open_now": 0},
        )
        crisis = handoff.severity == "critical"
        angry = handoff.reason in ANGRY_REASONS
        long = (ended or now) - claim.created_at >= long_after
        tally["crisis"] += crisis
        tally["angry"] += angry
        tally["long"] += long
        tally["intense"] += crisis or angry or long
        tally["handled"] += 1
        tally["open_now"] += ended is None and handoff.claimed_by == claim.actor
    return {agent: AgentLoad(agent=agent, **tally) for agent, tally in counts.items()}


async def agents_over_load(
    session: AsyncSession,
    now: datetime,
    *,
    threshold: int = DEFAULT_THRESHOLD,
    window_h: float = DEFAULT_WINDOW_H,
    long_minutes: int = DEFAULT_LONG_MINUTES,
) -> set[str]:
    """Agents at or past `threshold` intense cases in the window: skip them for crisis pings.

    Args:
        threshold: intense cases (crisis, angry, long) that call for a break.
    """
    loads = await agent_loads(session, now, window_h=window_h, long_minutes=long_minutes)
    return {agent for agent, load in loads.items() if load.intense >= threshold}
