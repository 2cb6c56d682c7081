"""The person's messages and the agent's replies race for the same case's message numbers,
across two instances: every message gets its own seq, with no gaps, and the person's
socket shows each one once, in order."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from sqlmodel import col, select

from bot import keys
from bot.chat import ChatService
from bot.clock import system_clock
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store.db import Database
from bot.store.models import Message
from bot.typing import typing_notice
from tests.instances.conftest import Instances
from tests.instances.test_two_instances import (
    CHANNEL,
    needs_postgres,
    next_message,
)
from tests.support import Person, handed_off, open_socket

AGENT = "U0AGENT1"
ROUNDS = 8  # the person's socket may send a burst of 10 (bot/app.py)


async def stored_messages(db: Database, case_id: str) -> tuple[int, list[Message]]:
    async with db.read() as session:
        case = await case_store.require_case(session, case_id=case_id)
        query = select(Message).where(Message.case_id == case_id).order_by(col(Message.seq))
        return case.last_seq, list((await session.exec(query)).all())


def assert_numbered_one_to_last(last_seq: int, messages: list[Message]) -> None:
    assert [m.seq for m in messages] == list(range(1, last_seq + 1))


async def test_agent_replies_racing_the_persons_messages_get_one_seq_each_in_order(
    instances: Instances,
) -> None:
    slack = instances.slack
    person, card, _ref = await handed_off(instances.a, slack)
    if not instances.a.app[keys.DB].is_postgres:
        # SQLite's bus is in-process: the socket hears only what its own instance relays.
        slack.events_url = str(instances.a.make_url("/slack/events"))
    await slack.click(user=AGENT, channel=CHANNEL, ts=card["ts"], action_id="claim")
    ws = await open_socket(instances.a, person)
    frames: list[dict[str, Any]] = []
    acked: dict[str, asyncio.Event] = {f"p{n}": asyncio.Event() for n in range(ROUNDS)}

    async def read_socket() -> None:
        async for frame in ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                break
            data = frame.json()
            frames.append(data)
            if data["type"] == "ack":
                acked[data["client_id"]].set()

    async def person_writes() -> None:
        for n in range(ROUNDS):
            await ws.send_json({"type": "message", "text": f"person {n}", "client_id": f"p{n}"})
            await asyncio.wait_for(acked[f"p{n}"].wait(), timeout=10)

    async def agent_writes() -> None:
        for n in range(ROUNDS):
            await slack.post(user=AGENT, channel=CHANNEL, thread_ts=card["ts"], text=f"agent {n}")

    def shown(prefix: str) -> list[str]:
        texts = [f["message"]["text"] for f in frames if f["type"] == "message"]
        return [t for t in texts if t.startswith(prefix)]

    reader = asyncio.create_task(read_socket())
    try:
        await asyncio.gather(person_writes(), agent_writes())
        deadline = time.monotonic() + 10
        while len(shown("agent ")) < ROUNDS and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await ws.close()
        await reader
    last_seq, messages = await stored_messages(instances.a.app[keys.DB], person.conversation_id)
    assert_numbered_one_to_last(last_seq, messages)
    assert [m.text for m in messages if m.sender == "user"][-ROUNDS:] == [
        f"person {n}" for n in range(ROUNDS)
    ]
    assert sorted(m.text for m in messages if m.sender == "agent") == [
        f"agent {n}" for n in range(ROUNDS)
    ]
    # The socket said hello with after=0: it shows the whole conversation, once, in order.
    sent = [f["message"]["seq"] for f in frames if f["type"] == "message"]
    assert sent == [m.seq for m in messages if not m.internal]
    assert shown("person ") == [f"person {n}" for n in range(ROUNDS)]


async def test_posts_and_next_seq_writers_on_two_instances_share_one_sequence(
    instances: Instances,
) -> None:
    """The post numbers its messages from the case row it holds; writers that go through
    `next_seq` (agent replies, hand-off notices) wait for that row and carry on after it."""
    chat: ChatService = instances.a.app[keys.CHAT]
    other_db: Database = instances.b.app[keys.DB]
    case_id = (await chat.start(locale="en")).case.id

    async def post(n: int) -> None:
        await chat.post(case_id=case_id, text=f"Where can I see invoice {n}?", client_id=f"p{n}")

    async def relay(n: int) -> None:
        async with other_db.transaction() as session:
            await message_store.add_message(
                session, case_id=case_id, sender="agent", text=f"agent {n}", now=system_clock()
            )

    await asyncio.gather(*(job(n) for n in range(12) for job in (post, relay)))
    last_seq, messages = await stored_messages(other_db, case_id)
    assert_numbered_one_to_last(last_seq, messages)
    assert sorted(m.client_id for m in messages if m.sender == "user") == sorted(
        f"p{n}" for n in range(12)
    )
    assert sum(m.sender == "agent" for m in messages) == 12


async def test_an_oversize_notice_reaches_the_other_instance_as_message_news(
    instances: Instances,
) -> None:
    needs_postgres(instances.a)
    listening = instances.a.app[keys.BUS].subscribe("case-oversize")
    try:
        # PostgreSQL refuses a NOTIFY payload of 8,000 bytes: the notice is sent as plain
        # message news (the socket re-reads the store) rather than lost.
        await instances.b.app[keys.BUS].publish(
            "case-oversize", typing_notice(name="A" * 9000, ttl_s=30)
        )
        assert await asyncio.wait_for(listening.get(), timeout=5) == "messages"
        await instances.b.app[keys.BUS].publish("case-oversize", seq=41)
        assert await asyncio.wait_for(listening.get(), timeout=5) == "messages/41"
    finally:
        instances.a.app[keys.BUS].unsubscribe("case-oversize", listening)


async def test_messages_written_together_reach_each_persons_socket_on_the_other_instance(
    instances: Instances,
) -> None:
    """People whose sockets are on B post through A at once: A writes their messages in one
    batch and announces them in one NOTIFY; each socket on B shows its own answer."""
    needs_postgres(instances.a)
    people = []
    for _ in range(6):
        person = Person(instances.a)
        await person.start(locale="en-US")
        people.append(person)
    sockets = [await open_socket(instances.b, person) for person in people]
    chat: ChatService = instances.a.app[keys.CHAT]
    try:
        await asyncio.gather(
            *(
                chat.post(case_id=p.conversation_id, text=f"Where is receipt number {n}?")
                for n, p in enumerate(people)
            )
        )
        for n, ws in enumerate(sockets):
            asked = await next_message(ws, lambda m: m["sender"] == "user")
            assert asked["text"] == f"Where is receipt number {n}?"
            answer = await next_message(ws, lambda m: m["sender"] == "bot" and m["seq"] > 1)
            assert answer["seq"] == asked["seq"] + 1
    finally:
        for ws in sockets:
            await ws.close()
