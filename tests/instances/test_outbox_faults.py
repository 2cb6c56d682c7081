"""The outbox when Slack is slow, drops connections or fails for a long time: every card
reaches Slack once, whichever instance delivers it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from bot import keys
from bot import outbox as outbox_module
from bot.clock import system_clock
from bot.handoff import note_in_thread, refresh_card
from bot.slack_fake import SlackFake
from bot.slack_fake.webapi import Dropped
from bot.store import outbox as outbox_store
from bot.store.models import HandOff, OutboxItem
from tests.instances.conftest import SLACK_TOKEN, Instances, stop_outbox_workers
from tests.support import Person

CHANNEL = "support-general"


async def hand_off(instances: Instances) -> OutboxItem:
    """A person asks for a human on instance A; their card, not yet delivered."""
    await hand_off_another(instances)
    async with instances.a.app[keys.DB].read() as session:
        query = select(OutboxItem).where(OutboxItem.kind == outbox_store.POST_CARD)
        item = (await session.exec(query)).one()
    return item


async def hand_off_another(instances: Instances) -> None:
    person = Person(instances.a)
    await person.start(locale="en-US")
    assert (await person.say("Connect me to a human agent please"))["state"] == "queued"


async def stored(instances: Instances, item: OutboxItem) -> OutboxItem:
    async with instances.a.app[keys.DB].read() as session:
        row = await session.get(OutboxItem, item.id)
    assert row is not None
    return row


def cards_in_slack(instances: Instances, item: OutboxItem) -> list[dict[str, Any]]:
    return [
        message
        for message in instances.slack.messages(CHANNEL)
        if ((message.get("metadata") or {}).get("event_payload") or {}).get("outbox_id") == item.id
    ]


def drop_the_next_answer(slack: SlackFake) -> list[bool]:
    """Slack stores the next post, then the connection drops before its answer arrives.
    The list holds True once that happened."""
    post = slack.web_api.methods["chat.postMessage"]
    dropped: list[bool] = []

    async def lands_then_drops(params: dict[str, Any]) -> dict[str, Any]:
        body = await post(params)
        if not dropped:
            dropped.append(True)
            raise Dropped()  # stored in Slack; the answer never reaches the app
        return body

    slack.web_api.methods["chat.postMessage"] = lands_then_drops
    return dropped


async def due_now(instances: Instances, item: OutboxItem) -> None:
    """Skip the item's backoff: its retry is due."""
    async with instances.a.app[keys.DB].transaction() as session:
        row = await session.get(OutboxItem, item.id)
        assert row is not None
        row.next_attempt_at = system_clock()
        session.add(row)


async def thread_posts_and_cards_waiting(instances: Instances) -> None:
    """Instance A posts a card in the channel (so its ID is known, on A and in the store);
    once Slack's bucket and the stored pace have refilled, four thread posts under that
    card (by the channel's ID) and four cards (by its name) wait there."""
    first = await hand_off(instances)
    await instances.a.app[keys.OUTBOX].drain_once()
    await asyncio.sleep(4.2)
    async with instances.a.app[keys.DB].transaction() as session:
        handoff = await session.get(HandOff, first.payload["handoff_id"])
        assert handoff is not None and handoff.slack_channel
        for n in range(4):
            await note_in_thread(
                session,
                case_id=first.payload["case_id"],
                handoff=handoff,
                text=f"note {n}",
                now=system_clock(),
            )
    for _ in range(4):
        await hand_off_another(instances)


class SlowPosts:
    """A client whose chat.postMessage waits until released: Slack slow to answer."""

    def __init__(self, real: AsyncWebClient) -> None:
        self._real = real
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def chat_postMessage(self, **kwargs: Any) -> Any:  # noqa: N802 (Slack's name)
        self.entered.set()
        await self.release.wait()
        return await self._real.chat_postMessage(**kwargs)


async def test_a_post_slower_than_its_lease_is_cut_off_and_the_card_posted_once(
    instances: Instances, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stand-ins for 15 s of lease and 12 s of delivery: Slack hangs on A's post past both.
    await stop_outbox_workers()
    monkeypatch.setattr(outbox_module, "LEASE_S", 1.0)
    monkeypatch.setattr(outbox_module, "DELIVERY_LIMIT_S", 0.3, raising=False)
    monkeypatch.setattr(outbox_module.random, "random", lambda: 0.0)  # retry in 0.5 s
    item = await hand_off(instances)
    worker_a = instances.a.app[keys.OUTBOX]
    slow = SlowPosts(worker_a.client)
    worker_a.client = slow  # type: ignore[assignment]

    a = asyncio.create_task(worker_a.drain_once())
    await asyncio.wait_for(slow.entered.wait(), 5)
    await asyncio.sleep(1.2)  # past A's lease: B may take the item over now
    await instances.b.app[keys.OUTBOX].drain_once()
    slow.release.set()  # had A's call still been running, its post would land now
    await a

    assert len(cards_in_slack(instances, item)) == 1
    assert (await stored(instances, item)).status == "done"


async def test_the_look_for_an_earlier_post_reads_every_page(instances: Instances) -> None:
    # The card landed, then its instance died before storing its ts; 200 other cards came
    # after it, so it is no longer on the channel's first page of history.
    await stop_outbox_workers()
    slack = instances.slack
    slack.rate_limit = False
    item = await hand_off(instances)
    web = AsyncWebClient(token=SLACK_TOKEN, base_url=slack.base_url)
    await web.chat_postMessage(
        channel=CHANNEL, text="card", metadata=outbox_module.outbox_metadata(item)
    )
    for n in range(200):
        await web.chat_postMessage(channel=CHANNEL, text=f"another card {n}")
    async with instances.a.app[keys.DB].transaction() as session:
        row = await session.get(OutboxItem, item.id)
        assert row is not None
        row.locked_until = system_clock() - timedelta(seconds=1)  # the dead instance's lease
        session.add(row)

    await instances.b.app[keys.OUTBOX].drain_once()

    assert len(cards_in_slack(instances, item)) == 1
    assert (await stored(instances, item)).status == "done"


async def test_a_long_slack_outage_never_parks_a_card(instances: Instances) -> None:
    # Thirty failed attempts: at 300 s apart, well over an hour of 5xx from Slack.
    await stop_outbox_workers()
    item = await hand_off(instances)
    async with instances.a.app[keys.DB].transaction() as session:
        row = await session.get(OutboxItem, item.id)
        assert row is not None
        row.attempts = 30
        session.add(row)
    instances.slack.inject_fault("chat.postMessage", "500", times=2)

    await instances.b.app[keys.OUTBOX].drain_once()

    row = await stored(instances, item)
    assert (row.status, row.attempts) == ("pending", 31)
    assert row.next_attempt_at is not None
    waits = (row.next_attempt_at - system_clock()).total_seconds()
    assert 100 < waits <= outbox_module.MAX_BACKOFF_S


async def test_a_card_slack_took_before_the_connection_dropped_is_not_sent_again(
    instances: Instances,
) -> None:
    await stop_outbox_workers()
    dropped = drop_the_next_answer(instances.slack)
    item = await hand_off(instances)

    await instances.a.app[keys.OUTBOX].drain_once()
    assert dropped and len(cards_in_slack(instances, item)) == 1
    assert (await stored(instances, item)).status == "pending"  # outcome unknown: retried

    await due_now(instances, item)
    await instances.b.app[keys.OUTBOX].drain_once()  # looks first, finds it, records it

    assert len(cards_in_slack(instances, item)) == 1
    assert (await stored(instances, item)).status == "done"


async def test_a_crisis_card_slack_refuses_is_reported_where_people_read(
    instances: Instances,
) -> None:
    # The bot was removed from the crisis channel: Slack refuses the card for good.
    await stop_outbox_workers()
    slack = instances.slack
    slack.remove_bot("support-crisis")
    words = "I am going to kill myself tonight, I have the pills ready"
    person = Person(instances.a)
    await person.start(locale="en-US")
    await person.say(words)
    worker = instances.a.app[keys.OUTBOX]
    for _ in range(3):
        await worker.drain_once()

    async with instances.a.app[keys.DB].read() as session:
        items = (await session.exec(select(OutboxItem))).all()
    card = next(i for i in items if i.kind == outbox_store.POST_CARD)
    assert (card.status, card.last_error) == ("parked", "not_in_channel")
    case = await instances.a.app[keys.CHAT].case(case_id=person.conversation_id)
    alerts = [m for m in slack.messages(CHANNEL) if case.ref in m["text"]]
    assert len(alerts) == 1
    alert = alerts[0]["text"]
    assert "could not be posted" in alert and "not_in_channel" in alert and "crisis" in alert
    assert "kill" not in alert and "pills" not in alert  # nothing the person wrote


async def test_a_card_in_a_channel_since_archived_is_parked_at_once(
    instances: Instances,
) -> None:
    """Slack edits nothing in an archived channel (chat.update answers is_inactive): the
    card's update is parked on its first refusal, not retried for ever ahead of the case's
    later posts."""
    await stop_outbox_workers()
    item = await hand_off(instances)
    worker = instances.a.app[keys.OUTBOX]
    await worker.drain_once()
    instances.slack.archive_channel(CHANNEL)
    async with instances.a.app[keys.DB].transaction() as session:
        handoff = await session.get(HandOff, item.payload["handoff_id"])
        assert handoff is not None and handoff.slack_ts
        await refresh_card(
            session, case_id=item.payload["case_id"], handoff=handoff, now=system_clock()
        )
        update = (
            await session.exec(select(OutboxItem).where(OutboxItem.kind == "update_card"))
        ).one()

    await worker.drain_once()

    parked = await stored(instances, update)
    assert (parked.status, parked.last_error, parked.attempts) == ("parked", "is_inactive", 1)


async def test_cards_and_thread_posts_in_one_channel_share_its_pace(
    instances: Instances,
) -> None:
    # Cards name the routing file's channel, thread posts the card's channel ID: one Slack
    # channel all the same, whose limit Slack enforces (the fake's 429s).
    await stop_outbox_workers()
    worker = instances.a.app[keys.OUTBOX]
    await thread_posts_and_cards_waiting(instances)

    for _ in range(8):
        await worker.drain_once()

    posts = [c for c in instances.slack.calls if c["method"] == "chat.postMessage"]
    assert len(posts) >= 3  # the pace let a burst through
    assert 429 not in [c["status"] for c in posts]


async def test_a_channel_post_slack_took_before_the_connection_dropped_is_not_sent_again(
    instances: Instances,
) -> None:
    # Not only cards and thread posts: an incident suggestion, an approval request or an
    # alert in the leads' channel is looked for before it is sent again.
    await stop_outbox_workers()
    slack = instances.slack
    drop_the_next_answer(slack)
    async with instances.a.app[keys.DB].transaction() as session:
        item = await outbox_store.enqueue(
            session,
            kind="incident_suggestion",
            now=system_clock(),
            channel=CHANNEL,
            payload={"channel": CHANNEL, "text": "Three video cases in ten minutes"},
        )

    await instances.a.app[keys.OUTBOX].drain_once()
    assert (await stored(instances, item)).status == "pending"
    await due_now(instances, item)
    await instances.b.app[keys.OUTBOX].drain_once()

    posted = [m for m in slack.messages(CHANNEL) if m["text"] == "Three video cases in ten minutes"]
    assert len(posted) == 1
    assert (await stored(instances, item)).status == "done"


async def test_an_instance_that_never_posted_in_a_channel_keeps_its_pace_too(
    instances: Instances,
) -> None:
    # Instance A posted the channel's first card; B (just started, say) learns the
    # channel's ID from the store, so its cards and thread posts there share one pace.
    await stop_outbox_workers()
    await thread_posts_and_cards_waiting(instances)

    # One channel is one lane: B's first pass sends one post there, not a card and a
    # thread post side by side.
    assert await instances.b.app[keys.OUTBOX].drain_once() == 1
    for _ in range(7):
        await instances.b.app[keys.OUTBOX].drain_once()

    posts = [c for c in instances.slack.calls if c["method"] == "chat.postMessage"]
    assert len(posts) >= 3
    assert 429 not in [c["status"] for c in posts]
