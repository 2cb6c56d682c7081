"""Idempotency keys shared by every instance (Slack event ids, request signatures)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import SeenKey


async def mark_seen(session: AsyncSession, *, key: str, now: datetime) -> bool:
    """Record `key`; True the first time it is seen, False on every later call."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(SeenKey).values(key=key, created_at=now).on_conflict_do_nothing()
    result = await session.exec(statement)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def forget_before(session: AsyncSession, *, before: datetime) -> None:
    await session.exec(delete(SeenKey).where(col(SeenKey.created_at) < before))


async def is_seen(session: AsyncSession, *, key: str) -> bool:
    return await session.get(SeenKey, key) is not None
