"""An incident across two instances sharing one database: people are told it is known,
get each proactive update exactly once on the fake clock, and hear when it is resolved."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from aiohttp.test_utils import TestClient
from sqlmodel import col
from sqlmodel import select as sql_select

from bot import keys
from bot.app import create_app
from bot.clock import FakeClock
from bot.conversation.engine import Engine
from bot.settings import Settings
from bot.slack_fake import SlackFake
from bot.store.models import IncidentUpdate
from bot.toolkit import INCIDENTS
from tests.support import Person

LEAD = "U0LEAD01"
TWO_HOURS = 2 * 3600


async def person_with(client: TestClient, text: str) -> Person:
    person = Person(client)
    await person.start(locale="en-US")
    await person.say(text)
    return person


async def lines(person: Person, needle: str) -> list[str]:
    inbox = await person.inbox()
    return [m["text"] for m in inbox["messages"] if m["sender"] == "system" and needle in m["text"]]


async def test_incident_updates_are_sent_once_each_across_two_instances(
    aiohttp_client,  # type: ignore[no-untyped-def]
    toolkit_settings: Settings,
    engine: Engine,
    clock: FakeClock,
) -> None:
    apps = []
    for _ in range(2):
        app = create_app(toolkit_settings, clock=clock, engine=engine)
        client: TestClient = await aiohttp_client(app)
        app[keys.SLACK_FAKE].events_url = str(client.make_url("/slack/events"))
        apps.append(client)
    one, two = apps
    slack: SlackFake = one.app[keys.SLACK_FAKE]

    early = await person_with(one, "My video session keeps dropping and I cannot hear my therapist")
    unrelated = await person_with(two, "How do I change my password?")

    answer = await slack.command(
        user=LEAD,
        channel="support-sessions",
        command="/incident",
        text='start "Video sessions failing"',
    )
    announced = answer["body"]["text"]
    assert "Video sessions failing" in announced and "1 open case(s) linked" in announced
    assert answer["body"]["response_type"] == "in_channel"
    [known] = await lines(early, "We know about a problem")
    due = clock() + timedelta(seconds=TWO_HOURS)
    assert f"by {due:%H:%M} UTC" in known
    assert await lines(unrelated, "Video sessions failing") == []

    # A case of the same topic arriving later is linked by whichever instance runs the round.
    late = await person_with(two, "The video call froze again during my session")
    assert await two.app[INCIDENTS].link_new_cases() == 1
    assert len(await lines(late, "We know about a problem")) == 1

    # Two rounds of updates, both instances racing for each one.
    for number in (1, 2):
        clock.advance(TWO_HOURS + 1)
        sent = await asyncio.gather(
            one.app[INCIDENTS].send_due_updates(), two.app[INCIDENTS].send_due_updates()
        )
        assert sorted(sent) == [0, 1]
        for person in (early, late):
            assert len(await lines(person, "An update on Video sessions failing")) == number
        # Nothing more until the next interval.
        assert await one.app[INCIDENTS].send_due_updates() == 0
    async with one.app[keys.DB].transaction() as session:
        query = sql_select(IncidentUpdate).order_by(col(IncidentUpdate.number))
        rows = (await session.exec(query)).all()
    assert [r.number for r in rows] == [1, 2]

    answer = await slack.command(
        user=LEAD, channel="support-sessions", command="/incident", text="resolve"
    )
    assert "2 person(s) told" in answer["body"]["text"]
    for person in (early, late):
        assert len(await lines(person, "has been fixed")) == 1
    assert await lines(unrelated, "has been fixed") == []
    clock.advance(TWO_HOURS * 2)
    assert await one.app[INCIDENTS].send_due_updates() == 0
    answer = await slack.command(
        user=LEAD, channel="support-sessions", command="/incident", text="resolve"
    )
    assert "no open incident" in str(answer["body"])


async def test_a_burst_of_one_topic_suggests_an_incident_once(
    tk: TestClient, tk_slack: SlackFake, clock: FakeClock
) -> None:
    for text in (
        "My video session keeps dropping and I cannot hear my therapist, I want a person",
        "The video call froze again during my session, let me talk to a human",
        "Video session broke down again, I need a real person",
    ):
        person = await person_with(tk, text)
        await person.say("I want to talk to a real person please")
    incidents = tk.app[INCIDENTS]
    assert await incidents.suggest() == ["session"]
    assert await incidents.suggest() == []  # once per window
    # Slack paces posts to one channel (about one a second): let the fake clock move.
    for _ in range(100):
        if any("/incident start" in m["text"] for m in tk_slack.messages("support-sessions")):
            break
        clock.advance(1)
        tk.app[keys.OUTBOX].nudge()
        await asyncio.sleep(0.05)
    await tk_slack.wait_for(
        lambda: any(
            "/incident start" in m["text"] and "`session` cases" in m["text"]
            for m in tk_slack.messages("support-sessions")
        )
    )


async def test_an_incident_title_cannot_ping_the_channel(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    answer = await tk_slack.command(
        user=LEAD,
        channel="support-sessions",
        command="/incident",
        text='start "<!channel> video down" session',
    )
    text = answer["body"]["text"]
    assert "&lt;!channel&gt; video down" in text and "<!channel>" not in text
    listed = await tk_slack.command(
        user=LEAD, channel="support-sessions", command="/incident", text="list"
    )
    assert "&lt;!channel&gt;" in str(listed["body"])
