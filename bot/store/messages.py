"""Queries over a conversation's messages."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.cases import next_seq
from bot.store.models import Message


async def add_message(
    session: AsyncSession,
    *,
    case_id: str,
    sender: str,
    text: str,
    now: datetime,
    internal: bool = False,
    author_id: str | None = None,
    author_name: str | None = None,
    client_id: str | None = None,
    slack_ts: str | None = None,
) -> Message:
    message = Message(
        case_id=case_id,
        seq=await next_seq(session, case_id=case_id),
        sender=sender,
        text=text,
        internal=internal,
        author_id=author_id,
        author_name=author_name,
        client_id=client_id,
        slack_ts=slack_ts,
        created_at=now,
    )
    session.add(message)
    await session.flush()
    return message


async def messages_after(
    session: AsyncSession,
    *,
    case_id: str,
    after: int = 0,
    include_internal: bool = False,
    limit: int = 500,
) -> list[Message]:
    query = select(Message).where(Message.case_id == case_id, Message.seq > after)
    if not include_internal:
        query = query.where(col(Message.internal).is_(False))
    query = query.order_by(col(Message.seq)).limit(limit)
    return list((await session.exec(query)).all())


async def find_by_client_id(
    session: AsyncSession, *, case_id: str, client_id: str
) -> Message | None:
    query = select(Message).where(Message.case_id == case_id, Message.client_id == client_id)
    return (await session.exec(query)).first()


async def find_by_slack_ts(session: AsyncSession, *, case_id: str, slack_ts: str) -> Message | None:
    query = select(Message).where(Message.case_id == case_id, Message.slack_ts == slack_ts)
    return (await session.exec(query)).first()


async def user_messages_after(session: AsyncSession, *, case_id: str, after: int) -> list[Message]:
    query = (
        select(Message)
        .where(Message.case_id == case_id, Message.sender == "user", col(Message.seq) > after)
        .order_by(col(Message.seq))
    )
    return list((await session.exec(query)).all())
