"""A person in crisis behind a backlog: resources in the same turn, the crisis card first,
re-pings until someone claims, and the bot stays with the person meanwhile."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient
from sqlmodel import col, select

from bot import keys
from bot.app import create_app
from bot.clock import FakeClock
from bot.conversation.engine import Engine
from bot.settings import Settings
from bot.slack_fake import SlackFake
from bot.store import outbox as outbox_store
from bot.store.models import CaseEvent, HandOff, OutboxItem
from tests.support import Person, blocks_text, card_for

BACKLOG = 12


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
async def lane_client(
    aiohttp_client, settings: Settings, engine: Engine, clock: FakeClock
) -> TestClient:  # type: ignore[no-untyped-def]
    app = create_app(settings, clock=clock, engine=engine)
    client: TestClient = await aiohttp_client(app)
    app[keys.SLACK_FAKE].events_url = str(client.make_url("/slack/events"))
    return client


async def card_recorded(client: TestClient, *, case_id: str) -> None:
    for _ in range(200):
        async with client.app[keys.DB].read() as session:
            query = select(HandOff).where(HandOff.case_id == case_id)
            if any(h.posted_at is not None for h in (await session.exec(query)).all()):
                return
        await asyncio.sleep(0.025)
    raise AssertionError("the crisis card's posting was never recorded")


async def billing_backlog(client: TestClient) -> None:
    """BACKLOG people queued for billing, whose cards Slack's pace holds up."""
    for n in range(BACKLOG):
        waiting = Person(client)
        await waiting.start(locale="en-US")
        answer = await waiting.say(f"I was charged twice on invoice {n}, I want a person to fix it")
        assert answer["state"] == "queued"


def thread_texts(slack: SlackFake, channel: str, ts: str) -> list[str]:
    return [m["text"] for m in slack.thread(channel, ts)]


async def test_crisis_jumps_the_queue_and_is_repinged_until_claimed(
    lane_client: TestClient, clock: FakeClock
) -> None:
    client = lane_client
    slack: SlackFake = client.app[keys.SLACK_FAKE]
    periodic = client.app[keys.PERIODIC]
    settings = client.app[keys.SETTINGS]

    # A backlog of ordinary hand-offs, held up by Slack's per-channel rate limit.
    await billing_backlog(client)

    person = Person(client)
    started = await person.start(locale="en-US")
    answer = await person.say("I have enough pills saved to finish it")

    # The crisis reply comes in the same response, with the US number and one question.
    assert answer["state"] == "queued"
    reply = answer["messages"][0]["text"]
    assert "988" in reply
    assert reply.count("?") == 1
    assert "pills" not in reply.lower()

    # Its card is in the crisis channel while the ordinary backlog is still waiting.
    crisis = "support-crisis"
    ref = started["case_ref"]
    await slack.wait_for(lambda: card_for(slack.messages(crisis), ref) is not None)
    card = card_for(slack.messages(crisis), ref)
    assert card is not None
    assert "<!subteam^S0ONCALL>" in card["text"]
    assert "CRITICAL" in blocks_text(card)
    posted_billing = [m for m in slack.messages("support-billing") if m.get("blocks")]
    assert len(posted_billing) < BACKLOG

    # The card is in Slack a moment before the outbox records when it went out, which is
    # what the re-ping interval counts from: wait for that, then let the interval pass.
    await card_recorded(client, case_id=started["conversation_id"])

    # Nobody claims: after the re-ping interval the on-call group is pinged again...
    clock.advance(settings.crisis_reping_s + 1)
    # The app's own periodic loop may get there first; either way it runs once.
    await periodic.run_due()
    await slack.wait_for(
        lambda: any("S0ONCALL" in t for t in thread_texts(slack, crisis, card["ts"]))
    )
    # ...and again, widened to the leads.
    clock.advance(settings.crisis_reping_s + 1)
    await periodic.run_due()
    await slack.wait_for(
        lambda: any("S0LEADS" in t for t in thread_texts(slack, crisis, card["ts"]))
    )

    # Meanwhile the bot stayed with the person.
    inbox = await person.inbox()
    later_bot_lines = [m for m in inbox["messages"] if m["sender"] == "bot" and m["seq"] > 3]
    assert later_bot_lines, inbox["messages"]

    # A claim stops the re-pings.
    await slack.click(user="U0AGENT1", channel=crisis, ts=card["ts"], action_id="claim")
    await slack.wait_for(
        lambda: "Claimed by" in blocks_text(card_for(slack.messages(crisis), ref) or {})
    )
    pings_before = sum("unclaimed" in t for t in thread_texts(slack, crisis, card["ts"]))
    clock.advance(settings.crisis_reping_s * 3)
    await periodic.run_due()
    await asyncio.sleep(0.3)
    assert sum("unclaimed" in t for t in thread_texts(slack, crisis, card["ts"])) == pings_before

    # "I'm fine now" does not cancel the crisis hand-off.
    after = await person.say("no I'm fine, forget it")
    assert after["state"] == "agent"


@pytest.fixture
async def oncall_client(
    aiohttp_client, settings: Settings, engine: Engine, clock: FakeClock
) -> TestClient:  # type: ignore[no-untyped-def]
    oncall = settings.model_copy(update={"crisis_oncall": "U0AGENT1,U0AGENT2"})
    app = create_app(oncall, clock=clock, engine=engine)
    client: TestClient = await aiohttp_client(app)
    app[keys.SLACK_FAKE].events_url = str(client.make_url("/slack/events"))
    return client


async def crisis_card(client: TestClient, slack: SlackFake, text: str, clock: FakeClock) -> dict:  # type: ignore[type-arg]
    clock.advance(2)  # Slack allows a channel about a post a second
    person = Person(client)
    started = await person.start(locale="en-US")
    assert (await person.say(text))["state"] == "queued"
    ref = started["case_ref"]
    await slack.wait_for(lambda: card_for(slack.messages("support-crisis"), ref) is not None)
    card = card_for(slack.messages("support-crisis"), ref)
    assert card is not None
    await card_recorded(client, case_id=started["conversation_id"])
    return card


async def test_repings_skip_oncall_agents_past_their_load(
    oncall_client: TestClient, clock: FakeClock
) -> None:
    client = oncall_client
    slack: SlackFake = client.app[keys.SLACK_FAKE]
    settings = client.app[keys.SETTINGS]
    # Alex has taken three crisis cases in the last hours: past the threshold.
    for _ in range(settings.agent_load_threshold):
        card = await crisis_card(client, slack, "I want to end my life", clock)
        await slack.click(
            user="U0AGENT1", channel="support-crisis", ts=card["ts"], action_id="claim"
        )
    waiting = await crisis_card(client, slack, "I have enough pills saved to finish it", clock)

    clock.advance(settings.crisis_reping_s + 1)
    await client.app[keys.PERIODIC].run_due()
    crisis = "support-crisis"
    await slack.wait_for(
        lambda: any("unclaimed" in t for t in thread_texts(slack, crisis, waiting["ts"]))
    )
    [ping] = [t for t in thread_texts(slack, crisis, waiting["ts"]) if "unclaimed" in t]
    assert "<@U0AGENT2>" in ping
    assert "<@U0AGENT1>" not in ping


CRISIS = "support-crisis"


async def test_an_urgent_message_reaches_the_agent_holding_a_crisis_case(
    client: TestClient,
) -> None:
    """Once a crisis agent holds the case, what the person writes goes to the card's
    thread; the message that says they took the pills most of all."""
    slack: SlackFake = client.app[keys.SLACK_FAKE]
    person = Person(client)
    started = await person.start(locale="en-US")
    assert (await person.say("I want to end my life"))["state"] == "queued"
    ref = started["case_ref"]
    await slack.wait_for(lambda: card_for(slack.messages(CRISIS), ref) is not None)
    card = card_for(slack.messages(CRISIS), ref)
    assert card is not None
    await slack.click(user="U0AGENT1", channel=CRISIS, ts=card["ts"], action_id="claim")
    await slack.wait_for(
        lambda: "Claimed by" in blocks_text(card_for(slack.messages(CRISIS), ref) or {})
    )

    def copied(words: str) -> bool:
        return any(
            m["text"].startswith("*Person:*") and words in m["text"]
            for m in slack.thread(CRISIS, card["ts"])
        )

    await person.say("I am at home alone")
    await slack.wait_for(lambda: copied("at home alone"))
    await person.say("I already took all the pills")
    await slack.wait_for(lambda: copied("took all the pills"))
    async with client.app[keys.DB].read() as session:
        handoffs = (
            await session.exec(select(HandOff).where(HandOff.case_id == person.conversation_id))
        ).all()
    assert [h.queue for h in handoffs] == ["crisis"]  # no second crisis hand-off


async def test_a_queued_person_in_crisis_does_not_wait_behind_their_own_card(
    client: TestClient,
) -> None:
    """Queued for billing behind a backlog, the person writes that they are in danger: the
    crisis card shares the case's ordering key with the billing card still waiting in its
    channel, which is therefore never posted, and the crisis card goes out at once."""
    slack: SlackFake = client.app[keys.SLACK_FAKE]
    await billing_backlog(client)
    person = Person(client)
    started = await person.start(locale="en-US")
    first = await person.say("I was charged twice this month, I want a person to fix it")
    assert first["state"] == "queued"
    answer = await person.say("I want to end my life tonight")
    assert "988" in answer["messages"][0]["text"]  # resources in the same turn

    ref = started["case_ref"]
    await slack.wait_for(lambda: card_for(slack.messages(CRISIS), ref) is not None)
    billing = [m for m in slack.messages("support-billing") if m.get("blocks")]
    assert len(billing) < BACKLOG  # Slack's pace: most of the backlog is still waiting
    await slack.wait_for(
        lambda: len([m for m in slack.messages("support-billing") if m.get("blocks")]) >= BACKLOG,
        timeout=30,
    )
    assert card_for(slack.messages("support-billing"), ref) is None


async def test_a_crisis_card_does_not_wait_for_the_old_card_backing_off(
    client: TestClient,
) -> None:
    """The billing card was tried and Slack failed it: it backs off for minutes, and may be
    in Slack already, so it is not superseded. The crisis card, on the same case, still
    goes out at once."""
    slack: SlackFake = client.app[keys.SLACK_FAKE]
    slack.inject_fault("chat.postMessage", "500", times=1)
    person = Person(client)
    started = await person.start(locale="en-US")
    first = await person.say("I was charged twice this month, I want a person to fix it")
    assert first["state"] == "queued"
    db = client.app[keys.DB]

    async def billing_card() -> OutboxItem:
        async with db.read() as session:
            query = select(OutboxItem).where(OutboxItem.kind == outbox_store.POST_CARD)
            card = (await session.exec(query.order_by(col(OutboxItem.id)))).first()
        assert card is not None
        return card

    for _ in range(200):
        if (await billing_card()).attempts:
            break
        await asyncio.sleep(0.025)
    async with db.transaction() as session:
        card = await session.get(OutboxItem, (await billing_card()).id)
        assert card is not None and card.attempts == 1 and card.status == "pending"
        card.next_attempt_at = card.next_attempt_at + timedelta(minutes=5)  # backing off
        session.add(card)

    await person.say("I want to end my life tonight")

    await slack.wait_for(lambda: card_for(slack.messages(CRISIS), started["case_ref"]) is not None)
    assert (await billing_card()).status == "pending"  # still to be tried, after its wait


async def test_a_second_crisis_gets_its_still_here_messages_on_time(
    lane_client: TestClient, clock: FakeClock
) -> None:
    """The "still here" messages count per hand-off: a case back in the crisis lane after
    an earlier crisis was resolved starts them afresh."""
    client = lane_client
    slack: SlackFake = client.app[keys.SLACK_FAKE]
    periodic = client.app[keys.PERIODIC]
    stay_s = client.app[keys.SETTINGS].crisis_stay_s
    person = Person(client)
    started = await person.start(locale="en-US")
    case_id, ref = started["conversation_id"], started["case_ref"]
    assert (await person.say("I want to end my life"))["state"] == "queued"
    await card_recorded(client, case_id=case_id)
    for _ in range(4):  # nobody claims for a while: the bot stays with the person
        clock.advance(stay_s + 1)
        await periodic.run_due()
    card = card_for(slack.messages(CRISIS), ref)
    assert card is not None
    await slack.click(user="U0AGENT1", channel=CRISIS, ts=card["ts"], action_id="claim")
    await slack.click(user="U0AGENT1", channel=CRISIS, ts=card["ts"], action_id="resolve")
    await slack.wait_for(
        lambda: "Resolved" in blocks_text(card_for(slack.messages(CRISIS), ref) or {})
    )

    clock.advance(3 * 3600)
    seen = (await person.inbox())["messages"][-1]["seq"]
    again = await person.say("I'm going to kill myself tonight")
    assert again["state"] == "queued" and "988" in again["messages"][0]["text"]
    clock.advance(stay_s + 1)
    await periodic.run_due()
    after = (await person.inbox(after=seen))["messages"]
    async with client.app[keys.DB].read() as session:
        events = (await session.exec(select(CaseEvent).where(CaseEvent.case_id == case_id))).all()
    waiting = [e for e in events if e.kind == "crisis_waiting_message"]
    assert len(waiting) == 5 and waiting[-1].data == {"n": 1}
    # The person's message, the bot's answer, then the first "still here".
    assert len(after) == 1 + len(again["messages"]) + 1 and after[-1]["sender"] == "bot"


async def test_still_here_comes_once_after_the_periodic_work_was_held_up(
    lane_client: TestClient, clock: FakeClock
) -> None:
    """After minutes without a tick (every instance restarting, a long job holding the
    loop), the person hears "still here" once, then again a stay interval later: not a
    burst of messages a few seconds apart."""
    client = lane_client
    periodic = client.app[keys.PERIODIC]
    settings = client.app[keys.SETTINGS]
    stay_s, tick_s = settings.crisis_stay_s, settings.periodic_tick_s
    person = Person(client)
    case_id = (await person.start(locale="en-US"))["conversation_id"]
    assert (await person.say("I want to end my life"))["state"] == "queued"
    await card_recorded(client, case_id=case_id)
    seen = (await person.inbox())["messages"][-1]["seq"]

    clock.advance(4 * stay_s + 1)
    for _ in range(4):
        await periodic.run_due()
        clock.advance(tick_s)
    first = (await person.inbox(after=seen))["messages"]
    assert [m["sender"] for m in first] == ["bot"]

    clock.advance(stay_s)
    await periodic.run_due()
    second = (await person.inbox(after=first[-1]["seq"]))["messages"]
    assert [m["sender"] for m in second] == ["bot"] and second[0]["text"] != first[0]["text"]
