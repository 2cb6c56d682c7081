"""An agent's reply whose Slack event failed is not overtaken by the next one: the relay
reads the thread's gap from Slack (conversations.replies) and relays what is missing
first, so the person reads the replies in the order they were written, once each."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from sqlmodel import col, select

from benchmarks._common import free_port
from bot import keys
from bot.slack_fake import SlackFake
from bot.store.models import CaseEvent, HandOff, Message
from tests.support import Person, card_for, open_socket

CHANNEL = "support-general"
ALEX, SAM = "U0AGENT1", "U0AGENT2"


async def claimed_case(client: TestClient, slack: SlackFake) -> tuple[Person, str, int]:
    """A person handed off and Alex holding the case: (person, card ts, last seq seen)."""
    person = Person(client)
    started = await person.start(locale="en-US")
    assert (await person.say("Connect me to a human agent please"))["state"] == "queued"
    ref = started["case_ref"]
    await slack.wait_for(lambda: card_for(slack.messages(CHANNEL), ref) is not None)
    card = card_for(slack.messages(CHANNEL), ref)
    assert card is not None
    return person, card["ts"], await claim(person, slack, card["ts"])


async def claim(person: Person, slack: SlackFake, card_ts: str) -> int:
    await slack.click(user=ALEX, channel=CHANNEL, ts=card_ts, action_id="claim")
    inbox = await person.inbox()
    assert inbox["state"] == "agent"
    seq: int = inbox["messages"][-1]["seq"]
    return seq


def dead_url() -> str:
    """An address nobody answers on: the instance Slack's event was meant for is down."""
    return f"http://127.0.0.1:{free_port()}/slack/events"


async def post_while_down(slack: SlackFake, *, user: str, card_ts: str, text: str) -> bytes:
    """The agent posts in the thread, but the event's delivery fails; returns the event as
    Slack will send it again later."""
    events_url = slack.events_url
    slack.events_url = dead_url()
    try:
        answer = await slack.post(user=user, channel=CHANNEL, thread_ts=card_ts, text=text)
    finally:
        slack.events_url = events_url
    assert answer["status"] == 0  # connection refused: nothing reached the app
    [failed] = [d for d in slack.deliveries if d["kind"] == "event" and text.encode() in d["body"]]
    body: bytes = failed["body"]
    return body


async def redeliver(slack: SlackFake, body: bytes) -> dict[str, Any]:
    """Slack's retry of a failed event, as it comes minutes later (same event id)."""
    envelope = json.loads(body)
    return await slack.deliver_event(envelope, retry_num=1, retry_reason="connection_failed")


def agent_lines(inbox: dict[str, Any]) -> list[str]:
    return [m["text"] for m in inbox["messages"] if m["sender"] == "agent"]


async def next_agent_message(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while True:
        frame = await ws.receive_json(timeout=max(0.01, deadline - time.monotonic()))
        if frame["type"] == "message" and frame["message"]["sender"] == "agent":
            message: dict[str, Any] = frame["message"]
            return message


async def test_a_reply_whose_event_failed_reaches_the_person_before_the_next(
    client: TestClient, slack: SlackFake
) -> None:
    person, card_ts, seen = await claimed_case(client, slack)
    ws = await open_socket(client, person, after=seen)
    try:
        first = await post_while_down(
            slack, user=ALEX, card_ts=card_ts, text="I can see the double charge"
        )
        assert agent_lines(await person.inbox(after=seen)) == []
        await slack.post(
            user=ALEX, channel=CHANNEL, thread_ts=card_ts, text="The refund is on its way"
        )
        # The chat, live: both replies, in the order Alex wrote them.
        live = [await next_agent_message(ws), await next_agent_message(ws)]
    finally:
        await ws.close()
    assert [m["text"] for m in live] == ["I can see the double charge", "The refund is on its way"]
    inbox = await person.inbox(after=seen)
    replies = [m for m in inbox["messages"] if m["sender"] == "agent"]
    assert [m["text"] for m in replies] == [m["text"] for m in live]
    assert replies[1]["seq"] == replies[0]["seq"] + 1
    assert {m["author"] for m in replies} == {"Alex"}

    # Slack's retry of the first event arrives afterwards: a duplicate, nothing changes.
    assert (await redeliver(slack, first))["status"] == 200
    assert (await person.inbox(after=seen))["messages"] == inbox["messages"]

    # Stored like any relayed reply: its audit event, the first reply's time.
    async with client.app[keys.DB].transaction() as session:
        kinds = (await session.exec(select(CaseEvent.kind))).all()
        [handoff] = (await session.exec(select(HandOff))).all()
    assert kinds.count("agent_reply") == 2
    assert handoff.first_agent_reply_at is not None


async def test_a_rate_limited_gap_check_still_relays_the_reply_at_once(
    client: TestClient, slack: SlackFake, caplog: pytest.LogCaptureFixture
) -> None:
    person, card_ts, seen = await claimed_case(client, slack)
    first = await post_while_down(slack, user=ALEX, card_ts=card_ts, text="Checking your bank")
    slack.inject_fault("conversations.replies", "429")
    with caplog.at_level(logging.WARNING, logger="bot.desk"):
        answer = await slack.post(
            user=ALEX, channel=CHANNEL, thread_ts=card_ts, text="Found it, refunding now"
        )
    assert answer["status"] == 200
    asked = [c for c in slack.calls if c["method"] == "conversations.replies"]
    assert [c["status"] for c in asked] == [429]
    assert agent_lines(await person.inbox(after=seen)) == ["Found it, refunding now"]
    [warning] = [r for r in caplog.records if r.name == "bot.desk"]
    assert "ratelimited" in warning.getMessage()
    assert "bank" not in warning.getMessage() and "refund" not in warning.getMessage()
    # Without the gap check, the failed reply comes with Slack's retry: late, but once.
    await redeliver(slack, first)
    assert agent_lines(await person.inbox(after=seen)) == [
        "Found it, refunding now",
        "Checking your bank",
    ]


async def test_the_gap_is_read_as_the_listener_reads_the_thread(
    client: TestClient, slack: SlackFake
) -> None:
    person, card_ts, seen = await claimed_case(client, slack)
    channel_id = slack.channel_id(CHANNEL)
    await post_while_down(slack, user=SAM, card_ts=card_ts, text="Sam here, looking too")
    await post_while_down(slack, user=ALEX, card_ts=card_ts, text="note: lead approved the fee")
    # The bot's own post in the thread, and another app's.
    await client.app[keys.SLACK_CLIENT].chat_postMessage(
        channel=channel_id, thread_ts=card_ts, text="Bot line the person never sees"
    )
    other = slack.workspace.new_message(user="U0DEPLOY1", text="Other bot line", thread_ts=card_ts)
    other["bot_id"] = "B0DEPLOY1"
    slack.workspace.store(channel_id, other)
    await slack.post(user=ALEX, channel=CHANNEL, thread_ts=card_ts, text="All sorted now")

    inbox = await person.inbox(after=seen)
    replies = [m for m in inbox["messages"] if m["sender"] == "agent"]
    assert [(m["text"], m["author"]) for m in replies] == [
        ("Sam here, looking too", "Sam"),
        ("All sorted now", "Alex"),
    ]
    assert all("line" not in m["text"] and "fee" not in m["text"] for m in inbox["messages"])
    async with client.app[keys.DB].transaction() as session:
        stored = (
            await session.exec(
                select(Message).where(Message.sender == "agent").order_by(col(Message.seq))
            )
        ).all()
        kinds = (await session.exec(select(CaseEvent.kind))).all()
    assert [(m.text, m.internal) for m in stored] == [
        ("Sam here, looking too", False),
        ("note: lead approved the fee", True),
        ("All sorted now", False),
    ]
    assert kinds.count("agent_note") == 1 and kinds.count("agent_reply") == 2


async def test_what_was_refused_before_the_claim_is_not_relayed_later(
    client: TestClient, slack: SlackFake
) -> None:
    person = Person(client)
    started = await person.start(locale="en-US")
    await person.say("Connect me to a human agent please")
    await slack.wait_for(lambda: card_for(slack.messages(CHANNEL), started["case_ref"]) is not None)
    card = card_for(slack.messages(CHANNEL), started["case_ref"])
    assert card is not None
    await slack.post(user=ALEX, channel=CHANNEL, thread_ts=card["ts"], text="Early words")
    told = [m for m in slack.messages(CHANNEL) if m.get("ephemeral_to") == ALEX]
    assert any("Claim the case first" in m["text"] for m in told)
    seen = await claim(person, slack, card["ts"])
    await post_while_down(slack, user=ALEX, card_ts=card["ts"], text="Hello, I'm Alex")
    await slack.post(user=ALEX, channel=CHANNEL, thread_ts=card["ts"], text="What happened?")
    assert agent_lines(await person.inbox(after=seen)) == ["Hello, I'm Alex", "What happened?"]


async def test_a_thread_is_read_back_again_only_after_an_event_failed(
    client: TestClient, slack: SlackFake
) -> None:
    # conversations.replies is Tier 3 for the whole workspace: a thread already read back
    # is not read again until an event has failed (and will come late).
    person, card_ts, seen = await claimed_case(client, slack)

    def reads() -> int:
        return len([c for c in slack.calls if c["method"] == "conversations.replies"])

    for text in ["One", "Two", "Three"]:
        await slack.post(user=ALEX, channel=CHANNEL, thread_ts=card_ts, text=text)
    assert agent_lines(await person.inbox(after=seen)) == ["One", "Two", "Three"]
    assert reads() == 1  # the first reply since this instance started

    # An event the app answers with an error: Slack retries it, so the next reply checks.
    await client.app[keys.DESK].event_failed()
    await slack.post(user=ALEX, channel=CHANNEL, thread_ts=card_ts, text="Four")
    assert agent_lines(await person.inbox(after=seen))[-1] == "Four"
    assert reads() == 2
