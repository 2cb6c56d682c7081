"""Per-channel posting pace shared by every instance (GCRA, a token bucket in one number).

Each channel keeps a "theoretical arrival time": a post is allowed while that time is no
more than `burst_s` ahead of now, and each post pushes it `interval_s` further.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import ChannelPace


async def reserve(
    session: AsyncSession, *, channel: str, now: datetime, interval_s: float, burst_s: float
) -> float:
    """Take a posting slot: 0.0 if allowed now, else the seconds to wait."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.exec(
        insert(ChannelPace).values(channel=channel, next_at=now).on_conflict_do_nothing()
    )
    pace = (
        await session.exec(
            select(ChannelPace).where(ChannelPace.channel == channel).with_for_update()
        )
    ).one()
    arrival = max(pace.next_at, now)
    ahead = (arrival - now).total_seconds()
    if ahead > burst_s:
        return ahead - burst_s
    pace.next_at = arrival + timedelta(seconds=interval_s)
    session.add(pace)
    return 0.0


async def push_back(session: AsyncSession, *, channel: str, until: datetime) -> None:
    """Slack said 429: nobody posts to the channel before `until`."""
    pace = await session.get(ChannelPace, channel, with_for_update=True)
    if pace is not None and pace.next_at < until:
        pace.next_at = until
        session.add(pace)
