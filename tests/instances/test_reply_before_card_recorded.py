"""A card is in Slack a moment before its ts is in the store (and for longer if the instance
that posted it died in between). An agent's reply in that moment is not taken for a reply
in some other thread and dropped: it waits for the card's record, or is answered with an
error so that Slack delivers it again, and the person gets it once."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from bot import keys
from bot.clock import system_clock
from bot.slack_fake import SlackFake
from bot.store import outbox as outbox_store
from bot.store.db import Database
from bot.store.models import OutboxItem
from tests.instances.conftest import SLACK_TOKEN, Instances, stop_outbox_workers
from tests.support import Person

CHANNEL = "support-general"
ALEX = "U0AGENT1"


async def card_posted_by_a_worker_that_died(
    instances: Instances, *, lease_s: float
) -> tuple[Person, str, int]:
    """A person handed off and Alex holding the case; the card is in Slack but the worker
    that posted it died before storing its ts, its lease running `lease_s` more seconds.
    Returns (person, card ts, the card's outbox id)."""
    db: Database = instances.a.app[keys.DB]
    person = Person(instances.a)
    started = await person.start(locale="en-US")
    assert (await person.say("Connect me to a human agent please"))["state"] == "queued"
    await instances.a.app[keys.DESK].claim(
        case_id=person.conversation_id, agent_id=ALEX, agent_name="Alex"
    )
    async with db.transaction() as session:
        query = select(OutboxItem).where(OutboxItem.kind == outbox_store.POST_CARD)
        item = (await session.exec(query)).one()
        item.locked_until = system_clock() + timedelta(seconds=lease_s)
        session.add(item)
    assert item.id is not None
    web = AsyncWebClient(token=SLACK_TOKEN, base_url=instances.slack.base_url)
    posted = await web.chat_postMessage(
        channel=CHANNEL,
        text=f"NORMAL hand-off {started['case_ref']} (general)",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": started["case_ref"]}}],
        metadata={"event_type": "supportbot_outbox", "event_payload": {"outbox_id": item.id}},
    )
    return person, str(posted["ts"]), item.id


async def agent_texts(person: Person) -> list[str]:
    return [m["text"] for m in (await person.inbox())["messages"] if m["sender"] == "agent"]


async def settle_cards(instances: Instances) -> None:
    """Another instance takes the dead worker's card over: it finds the post by its
    metadata and stores its ts."""
    worker = instances.b.app[keys.OUTBOX]
    for _ in range(50):
        await worker.drain_once()
        async with instances.a.app[keys.DB].read() as session:
            query = select(OutboxItem).where(OutboxItem.kind == outbox_store.POST_CARD)
            if (await session.exec(query)).one().status == "done":
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the card was never recorded")


def cards_in(slack: SlackFake) -> list[dict[str, Any]]:
    return [
        m
        for m in slack.messages(CHANNEL)
        if m.get("metadata") and m.get("thread_ts", m["ts"]) == m["ts"]
    ]


async def test_a_reply_to_a_card_not_yet_recorded_waits_for_it_and_reaches_the_person(
    instances: Instances,
) -> None:
    slack = instances.slack  # Slack's retries are off: the first delivery must do
    instances.b.app[keys.DESK].card_record_wait_s = 30
    await stop_outbox_workers()
    person, card_ts, _item_id = await card_posted_by_a_worker_that_died(instances, lease_s=0.5)

    reply = asyncio.create_task(
        slack.post(user=ALEX, channel=CHANNEL, thread_ts=card_ts, text="I found the charge")
    )
    await asyncio.sleep(0.6)  # the dead worker's lease runs out
    await settle_cards(instances)
    answer = await reply

    assert answer["status"] == 200
    assert await agent_texts(person) == ["I found the charge"]
    assert len(cards_in(slack)) == 1


async def test_a_reply_to_a_card_still_unknown_is_answered_with_an_error_and_relayed_on_retry(
    instances: Instances,
) -> None:
    slack = instances.slack
    instances.b.app[keys.DESK].card_record_wait_s = 0.3
    await stop_outbox_workers()
    person, card_ts, item_id = await card_posted_by_a_worker_that_died(instances, lease_s=60)

    started = asyncio.get_running_loop().time()
    answer = await slack.post(user=ALEX, channel=CHANNEL, thread_ts=card_ts, text="Still there?")
    waited = asyncio.get_running_loop().time() - started
    assert answer["status"] == 500
    assert waited >= 0.3
    assert await agent_texts(person) == []

    # The lease runs out, another instance stores the card, Slack delivers the event again.
    async with instances.a.app[keys.DB].transaction() as session:
        item = await session.get(OutboxItem, item_id)
        assert item is not None
        item.locked_until = system_clock() - timedelta(seconds=1)
        session.add(item)
    await settle_cards(instances)
    [failed] = [d for d in slack.deliveries if d["kind"] == "event" and d["status"] == 500]
    again = await slack.delivery.event(slack.events_url, json.loads(failed["body"]), retry_num=1)

    assert again["status"] == 200
    assert await agent_texts(person) == ["Still there?"]


async def test_a_reply_in_a_thread_a_person_started_does_not_wait_for_cards(
    instances: Instances,
) -> None:
    slack = instances.slack
    await stop_outbox_workers()
    await card_posted_by_a_worker_that_died(instances, lease_s=60)
    await slack.post(user="U0AGENT2", channel=CHANNEL, text="Lunch at one?")
    [chat] = [m for m in slack.messages(CHANNEL) if m.get("text") == "Lunch at one?"]

    answer = await slack.post(user=ALEX, channel=CHANNEL, thread_ts=chat["ts"], text="Sure")

    # Had it waited for the unsettled card, it would have been answered 500 after 1.5 s.
    assert answer["status"] == 200
