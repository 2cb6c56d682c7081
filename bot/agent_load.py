"""Agent load: how many intense cases (crisis, angry, long) each agent has carried lately.

Support work in a therapy platform's queue is emotionally heavy; after several intense
cases in a few hours an agent is offered a break, and the crisis lane stops pinging them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import HandOff

DEFAULT_WINDOW_H = 4.0
DEFAULT_THRESHOLD = 3
DEFAULT_LONG_MINUTES = 45
# Hand-off reasons that mean the person was angry or worn out when they reached us.
ANGRY_REASONS = frozenset({"frustration"})


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
    """Each agent's load over the last `window_h` hours (claims in the window, or still open)."""
    since = now - timedelta(hours=window_h)
    query = select(HandOff).where(
        col(HandOff.claimed_by).is_not(None),
        or_(col(HandOff.claimed_at) >= since, HandOff.status == "claimed"),
    )
    long_after = timedelta(minutes=long_minutes)
    counts: dict[str, dict[str, int]] = {}
    for handoff in (await session.exec(query)).all():
        assert handoff.claimed_by is not None
        tally = counts.setdefault(
            handoff.claimed_by,
            {"crisis": 0, "angry": 0, "long": 0, "intense": 0, "handled": 0, "open_now": 0},
        )
        crisis = handoff.severity == "critical"
        angry = handoff.reason in ANGRY_REASONS
        started = handoff.claimed_at or handoff.created_at
        ended = handoff.resolved_at or now
        long = ended - started >= long_after
        tally["crisis"] += crisis
        tally["angry"] += angry
        tally["long"] += long
        tally["intense"] += crisis or angry or long
        tally["handled"] += 1
        tally["open_now"] += handoff.status == "claimed"
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
