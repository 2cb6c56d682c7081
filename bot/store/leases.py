"""Named leases: one instance at a time does a piece of periodic work."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import Lease


async def acquire(
    session: AsyncSession, *, name: str, holder: str, now: datetime, seconds: float
) -> bool:
    """Take `name` for `seconds` unless another holder's lease is still running.

    The insert-or-update is one statement, so two instances racing for an expired lease
    cannot both win (a row lock on PostgreSQL, the database lock on SQLite).
    """
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    until = now + timedelta(seconds=seconds)
    statement = insert(Lease).values(name=name, holder=holder, expires_at=until)
    statement = statement.on_conflict_do_update(
        index_elements=[col(Lease.name)],
        set_={"holder": holder, "expires_at": until},
        where=col(Lease.expires_at) <= now,
    )
    result = await session.exec(statement)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def extend(session: AsyncSession, *, name: str, holder: str, until: datetime) -> bool:
    """Move the end of `holder`'s lease on `name` to `until`; False if it is not theirs."""
    statement = (
        update(Lease)
        .where(col(Lease.name) == name, col(Lease.holder) == holder)
        .values(expires_at=until)
    )
    result = await session.exec(statement)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]
