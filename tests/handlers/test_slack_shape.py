"""Signed Slack requests whose shape no listener can read: 400, and nothing stored."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient

from bot.slack_fake import SlackFake
from tests.e2e.test_bad_input import signed
from tests.handlers.conftest import stored_rows
from tests.support import handed_off


def card_action(slack: SlackFake, card: dict[str, Any], case_id: str, **over: Any) -> str:
    """A click on the card's Claim button as Slack sends it, with `over` replacing parts."""
    channel = slack.channel_id("support-general")
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": "U0AGENT1", "username": "alex", "team_id": "T0SANDBOX"},
        "api_app_id": "A0SANDBOX",
        "trigger_id": "1.2.3",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"},
        "container": {"type": "message", "message_ts": card["ts"], "channel_id": channel},
        "channel": {"id": channel, "name": "support-general"},
        "message": card,
        "actions": [{"action_id": "claim", "value": case_id, "type": "button"}],
    }
    payload.update(over)
    return urlencode({"payload": json.dumps({k: v for k, v in payload.items() if v != "-"})})


def event(inner: dict[str, Any]) -> str:
    return json.dumps({"type": "event_callback", "event_id": "Ev0SHAPE", "event": inner})


FORM = "application/x-www-form-urlencoded"
BODIES = {
    "payload not JSON": (lambda s, c, i: "payload=%7Bnot-json", FORM),
    "payload a list": (lambda s, c, i: "payload=%5B1%2C2%5D", FORM),
    "value a list": (
        lambda s, c, i: card_action(s, c, i, actions=[{"action_id": "claim", "value": [i]}]),
        FORM,
    ),
    "value a dict": (
        lambda s, c, i: card_action(s, c, i, actions=[{"action_id": "claim", "value": {"a": i}}]),
        FORM,
    ),
    "no channel": (lambda s, c, i: card_action(s, c, i, channel="-"), FORM),
    "no user": (lambda s, c, i: card_action(s, c, i, user="-"), FORM),
    "command without user": (lambda s, c, i: "command=%2Fincident&text=list", FORM),
    "JSON broken": (lambda s, c, i: '{"type": "event_callback", ', "application/json"),
    "JSON a list": (lambda s, c, i: "[1, 2]", "application/json"),
    "event not an object": (
        lambda s, c, i: json.dumps({"type": "event_callback", "event": "x"}),
        "application/json",
    ),
    "thread reply without channel": (
        lambda s, c, i: event({"type": "message", "user": "U0AGENT1", "text": "hi",
                               "ts": "2.0", "thread_ts": "1.0"}),
        "application/json",
    ),
    "home without user": (
        lambda s, c, i: event({"type": "app_home_opened", "tab": "home"}),
        "application/json",
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BODIES))
async def test_a_malformed_signed_request_is_refused_and_changes_nothing(
    client: TestClient, slack: SlackFake, name: str
) -> None:
    person, card, _ref = await handed_off(client, slack)
    await slack.delivery.drain()
    before = await stored_rows(client)
    build, content_type = BODIES[name]
    body = build(slack, card, person.conversation_id)
    response = await client.post(
        "/slack/events", data=body, headers={**signed(body), "Content-Type": content_type}
    )
    assert response.status == 400, await response.text()
    assert (await response.json())["error"]["code"] == "invalid_payload"
    assert await stored_rows(client) == before


async def test_the_same_click_well_formed_is_acted_on(client: TestClient, slack: SlackFake) -> None:
    """The control: the builder above makes a click the app accepts."""
    person, card, _ref = await handed_off(client, slack)
    body = card_action(slack, card, person.conversation_id)
    response = await client.post("/slack/events", data=body, headers=signed(body))
    assert response.status == 200
    assert (await person.inbox())["state"] == "agent"
