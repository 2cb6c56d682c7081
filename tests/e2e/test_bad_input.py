"""Bad input gets a clear error and changes nothing: chat messages, tokens, Slack requests."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient
from slack_sdk.signature import SignatureVerifier

from bot import keys
from bot.slack_fake import SlackFake
from bot.store import messages as message_store
from tests.conftest import TEST_SIGNING_SECRET
from tests.support import Person, card_for


async def stored_messages(client: TestClient, conversation_id: str) -> int:
    async with client.app[keys.DB].transaction() as session:
        return len(
            await message_store.messages_after(
                session, case_id=conversation_id, include_internal=True
            )
        )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "x" * 4001}, 413, "text_too_long"),
        ({"text": "   "}, 400, "text_empty"),
        ({"text": ""}, 400, "text_empty"),
        ({"text": 42}, 400, "text_required"),
        ({}, 400, "text_required"),
        ([1, 2], 400, "invalid_json"),
    ],
)
async def test_bad_chat_message_is_refused_and_stores_nothing(
    client: TestClient, body: object, status: int, code: str
) -> None:
    person = Person(client)
    await person.start()
    before = await stored_messages(client, person.conversation_id)
    response = await client.post(
        f"/api/v1/conversations/{person.conversation_id}/messages", json=body, headers=person.auth
    )
    assert response.status == status
    error = (await response.json())["error"]
    assert error["code"] == code and error["message"]
    assert await stored_messages(client, person.conversation_id) == before


async def test_malformed_json_is_refused(client: TestClient) -> None:
    person = Person(client)
    await person.start()
    before = await stored_messages(client, person.conversation_id)
    response = await client.post(
        f"/api/v1/conversations/{person.conversation_id}/messages",
        data=b"{not json",
        headers={**person.auth, "Content-Type": "application/json"},
    )
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "invalid_json"
    assert await stored_messages(client, person.conversation_id) == before


async def test_another_conversations_token_gets_403(client: TestClient) -> None:
    alice, bob = Person(client), Person(client)
    await alice.start()
    await bob.start()
    response = await client.post(
        f"/api/v1/conversations/{alice.conversation_id}/messages",
        json={"text": "hello"},
        headers=bob.auth,
    )
    assert response.status == 403
    assert (await response.json())["error"]["code"] == "forbidden"
    read = await client.get(
        f"/api/v1/conversations/{alice.conversation_id}/messages", headers=bob.auth
    )
    assert read.status == 403
    assert await stored_messages(client, alice.conversation_id) == 1  # just the greeting


async def test_missing_or_garbage_token_gets_401(client: TestClient) -> None:
    person = Person(client)
    await person.start()
    url = f"/api/v1/conversations/{person.conversation_id}/messages"
    assert (await client.post(url, json={"text": "hi"})).status == 401
    garbage = await client.post(
        url, json={"text": "hi"}, headers={"Authorization": "Bearer abc.def"}
    )
    assert garbage.status == 401
    assert (await garbage.json())["error"]["code"].startswith("token_")


async def test_unknown_route_is_json_404(client: TestClient) -> None:
    response = await client.get("/api/v1/nothing-here")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_healthz_answers_when_the_database_does(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200
    assert (await response.json())["status"] == "ok"


def signed(body: str, *, secret: str = TEST_SIGNING_SECRET, age_s: int = 0) -> dict[str, str]:
    timestamp = str(int(time.time()) - age_s)
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body)
    return {
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature,
        "Content-Type": "application/x-www-form-urlencoded",
    }


async def queued_card(client: TestClient, slack: SlackFake) -> tuple[str, dict]:  # type: ignore[type-arg]
    person = Person(client)
    started = await person.start()
    await person.say("Please connect me to a human agent")
    channel = "support-general"
    await slack.wait_for(lambda: card_for(slack.messages(channel), started["case_ref"]) is not None)
    card = card_for(slack.messages(channel), started["case_ref"])
    assert card is not None
    return person.conversation_id, card


def claim_payload(slack: SlackFake, card: dict, user: str = "U0AGENT1") -> str:  # type: ignore[type-arg]
    button = card["blocks"][-1]["elements"][0]
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "alex", "name": "alex", "team_id": "T0SANDBOX"},
        "api_app_id": "A0SANDBOX",
        "token": "legacy",
        "container": {
            "type": "message",
            "message_ts": card["ts"],
            "channel_id": slack.channel_id("support-general"),
            "is_ephemeral": False,
        },
        "trigger_id": "1.2.3",
        "team": {"id": "T0SANDBOX", "domain": "sandbox"},
        "channel": {"id": slack.channel_id("support-general"), "name": "support-general"},
        "message": card,
        "actions": [
            {
                "action_id": "claim",
                "block_id": "case_actions",
                "value": button["value"],
                "type": "button",
                "action_ts": "1",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


async def case_status(client: TestClient, case_id: str) -> str:
    case, _ = await client.app[keys.CHAT].history(case_id=case_id)
    return case.status


@pytest.mark.parametrize(
    ("secret", "age_s", "code"),
    [
        ("not-the-secret", 0, "invalid_signature"),
        (TEST_SIGNING_SECRET, 6 * 60, "invalid_signature"),
    ],
    ids=["forged", "stale"],
)
async def test_forged_or_stale_slack_request_gets_401_and_changes_nothing(
    client: TestClient, slack: SlackFake, secret: str, age_s: int, code: str
) -> None:
    case_id, card = await queued_card(client, slack)
    body = claim_payload(slack, card)
    response = await client.post(
        "/slack/events", data=body, headers=signed(body, secret=secret, age_s=age_s)
    )
    assert response.status == 401
    assert (await response.json())["error"]["code"] == code
    assert await case_status(client, case_id) == "queued"


async def test_replayed_slack_request_gets_401_and_changes_nothing(
    client: TestClient, slack: SlackFake
) -> None:
    case_id, card = await queued_card(client, slack)
    body = claim_payload(slack, card)
    headers = signed(body)
    first = await client.post("/slack/events", data=body, headers=headers)
    assert first.status == 200
    assert await case_status(client, case_id) == "agent"
    events_before = len(await _events(client, case_id))
    replay = await client.post("/slack/events", data=body, headers=headers)
    assert replay.status == 401
    assert (await replay.json())["error"]["code"] == "replayed"
    assert len(await _events(client, case_id)) == events_before


async def test_a_replay_with_a_retry_header_added_is_still_a_replay(
    client: TestClient, slack: SlackFake
) -> None:
    """X-Slack-Retry-Num is not signed: only an event's retry may pass on it (the event id
    drops it then). Slack never retries a command or an interaction."""
    from sqlmodel import func, select

    from bot.store.models import Incident

    body = urlencode(
        {
            "command": "/incident",
            "text": 'start "Video sessions failing" session',
            "user_id": "U0AGENT1",
            "user_name": "alex",
            "channel_id": slack.channel_id("support-general"),
            "team_id": "T0SANDBOX",
            "api_app_id": "A0SANDBOX",
            "token": "legacy",
            "trigger_id": "1.2.3",
            "response_url": "http://127.0.0.1:1/resp",
        }
    )
    headers = signed(body)
    assert (await client.post("/slack/events", data=body, headers=headers)).status == 200
    replay = await client.post(
        "/slack/events", data=body, headers={**headers, "X-Slack-Retry-Num": "1"}
    )
    assert replay.status == 401
    assert (await replay.json())["error"]["code"] == "replayed"
    async with client.app[keys.DB].read() as session:
        assert (await session.exec(select(func.count()).select_from(Incident))).one() == 1


async def _events(client: TestClient, case_id: str) -> list:  # type: ignore[type-arg]
    from bot.store import cases as case_store

    async with client.app[keys.DB].transaction() as session:
        return await case_store.events_for_case(session, case_id=case_id)
