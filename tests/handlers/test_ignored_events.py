"""Slack tells the app about every post in its channels, the bot's own included. An event
no listener acts on is answered at once and leaves nothing in the store; a forged one is
still refused, and an agent's reply still goes through the replay and retry checks."""

from __future__ import annotations

import json
from typing import Any

from aiohttp.test_utils import TestClient
from sqlmodel import select

from bot import keys
from bot.slack_fake import SlackFake
from bot.store.models import SeenKey
from tests.support import handed_off

CHANNEL = "support-general"


async def seen_keys(client: TestClient) -> list[str]:
    async with client.app[keys.DB].read() as session:
        return [row.key for row in (await session.exec(select(SeenKey))).all()]


def delivered_events(slack: SlackFake) -> list[tuple[dict[str, Any], int]]:
    return [
        (json.loads(d["body"])["event"], d["status"])
        for d in slack.deliveries
        if d["kind"] == "event" and "status" in d
    ]


async def test_the_bots_own_posts_echoed_back_are_answered_and_leave_nothing_stored(
    client: TestClient, slack: SlackFake
) -> None:
    await handed_off(client, slack)
    await slack.wait_for(lambda: any(e.get("bot_id") for e, _ in delivered_events(slack)))
    await slack.delivery.drain()

    echoes = [(e, status) for e, status in delivered_events(slack) if e.get("bot_id")]
    assert echoes and all(status == 200 for _, status in echoes)
    assert await seen_keys(client) == []


async def test_an_agents_reply_still_records_its_event(
    client: TestClient, slack: SlackFake
) -> None:
    person, card, _ref = await handed_off(client, slack)
    await slack.click(user="U0AGENT1", channel=CHANNEL, ts=card["ts"], action_id="claim")
    answer = await slack.post(
        user="U0AGENT1", channel=CHANNEL, thread_ts=card["ts"], text="I see the charge"
    )

    assert answer["status"] == 200
    [reply] = [e for e, _ in delivered_events(slack) if e.get("text") == "I see the charge"]
    keys_now = await seen_keys(client)
    assert any(k.startswith("sig:") for k in keys_now)
    assert any(k.startswith("event:") for k in keys_now)
    assert [m["text"] for m in (await person.inbox())["messages"] if m["sender"] == "agent"] == [
        "I see the charge"
    ]
    assert reply["thread_ts"] == card["ts"]


async def test_a_forged_echo_is_still_refused(client: TestClient, slack: SlackFake) -> None:
    body = json.dumps(
        {
            "type": "event_callback",
            "event_id": "Ev0FORGED",
            "event": {"type": "message", "bot_id": "B1", "text": "hi", "ts": "1.2"},
        }
    )
    answer = await client.post(
        "/slack/events",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Slack-Request-Timestamp": "1",
            "X-Slack-Signature": "v0=forged",
        },
    )
    assert answer.status == 401
    assert (await answer.json())["error"]["code"] == "invalid_signature"


async def test_a_post_outside_a_thread_and_a_cards_edit_leave_nothing_stored(
    client: TestClient, slack: SlackFake
) -> None:
    _person, card, _ref = await handed_off(client, slack)

    posted = await slack.post(user="U0AGENT1", channel=CHANNEL, text="Morning, all")
    await slack.click(user="U0AGENT1", channel=CHANNEL, ts=card["ts"], action_id="claim")
    await slack.wait_for(
        lambda: any(e.get("subtype") == "message_changed" for e, _ in delivered_events(slack))
    )
    await slack.delivery.drain()

    assert posted["status"] == 200
    edits = [s for e, s in delivered_events(slack) if e.get("subtype") == "message_changed"]
    assert edits and all(status == 200 for status in edits)
    # Only the click, which Bolt acted on, left its replay record.
    assert len([k for k in await seen_keys(client) if k.startswith("sig:")]) == 1
