"""On the real app: a person's hand-off goes through Slack, then their erasure request
empties their thread and leaves another person's conversation alone."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bot import keys
from bot.identity import user_hash
from bot.lifecycle import erase_person, export_person, person_refs_for, register_deliveries
from bot.settings import Settings
from bot.slack_fake import SlackFake
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.tokens import issue_token
from tests.support import Person, blocks_text, card_for, open_socket, send_hello

SECRET = "app-identity-secret-0123456789"
CHANNEL = "support-billing"
AGENT = "U0AGENT1"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"identity_secret": SECRET})


async def handed_off(client: TestClient, slack: SlackFake, user: str, text: str) -> str:
    """The person asks for a human about a double charge; an agent claims and replies."""
    person = Person(client)
    started = await person.start(
        locale="en", user_id=user, user_hash=user_hash(user, secret=SECRET)
    )
    ref = str(started["case_ref"])
    await person.say(f"I was charged twice for my session. {text}")
    await person.say("I want to talk to a real person please")
    await slack.wait_for(lambda: card_for(slack.messages(CHANNEL), ref) is not None)
    card = card_for(slack.messages(CHANNEL), ref)
    assert card is not None
    await slack.click(user=AGENT, channel=CHANNEL, ts=card["ts"], action_id="claim")
    await person.say(f"Still there? {text}")
    await slack.wait_for(lambda: any(text in m["text"] for m in slack.thread(CHANNEL, card["ts"])))
    await slack.post(user=AGENT, channel=CHANNEL, thread_ts=card["ts"], text="Refunded, sorry")
    return str(card["ts"])


async def test_erasure_empties_the_bots_side_of_the_thread(
    client: TestClient, slack: SlackFake
) -> None:
    app = client.app
    register_deliveries(app[keys.OUTBOX])  # what create_app will do (see the report)
    alice_ts = await handed_off(client, slack, "alice-1", "alice-secret")
    bob_ts = await handed_off(client, slack, "bob-2", "bob-secret")
    bob_thread = slack.thread(CHANNEL, bob_ts)

    async with app[keys.DB].transaction() as session:
        result = await erase_person(
            session,
            person_refs=person_refs_for("alice-1", identity_secret=SECRET),
            now=datetime.now(UTC),
        )
    assert len(result.cases) == 1 and result.slack_deletions_queued == 1
    app[keys.OUTBOX].nudge()

    def alice_card() -> dict[str, object]:
        return next(m for m in slack.messages(CHANNEL) if m["ts"] == alice_ts)

    await slack.wait_for(lambda: "transcript purged" in str(alice_card()["text"]))
    left = slack.thread(CHANNEL, alice_ts)
    # The agent's reply stays: a bot token cannot delete a human's message.
    assert [(m["user"], m["text"]) for m in left] == [(AGENT, "Refunded, sorry")]
    assert "alice-secret" not in blocks_text(alice_card())  # type: ignore[arg-type]
    assert all("alice-secret" not in m["text"] for m in slack.messages(CHANNEL))
    assert slack.thread(CHANNEL, bob_ts) == bob_thread  # Bob's conversation untouched


async def test_an_erased_conversation_takes_no_more_messages(
    client: TestClient, slack: SlackFake
) -> None:
    """Erased while the person still has it open: what they write next must not land,
    unlinked, where their next request cannot find it. The socket is closed with a code
    the widget reads as "start a new conversation"; that one is linked to them again."""
    app = client.app
    person = Person(client)
    await person.start(
        locale="en", user_id="carol-3", user_hash=user_hash("carol-3", secret=SECRET)
    )
    await person.say("I was charged twice for my session")
    last_seq = (await person.inbox())["messages"][-1]["seq"]
    ws = await open_socket(client, person)
    while True:  # the socket's first read of the store, sent before anything is erased
        frame = await ws.receive_json(timeout=5)
        if frame["type"] == "message" and frame["message"]["seq"] == last_seq:
            break

    async with app[keys.DB].transaction() as session:
        await erase_person(
            session,
            person_refs=person_refs_for("carol-3", identity_secret=SECRET),
            now=datetime.now(UTC),
        )
    await ws.send_json({"type": "message", "text": "one more thing", "client_id": "c-after"})
    frames = []
    async for frame in ws:
        if frame.type == aiohttp.WSMsgType.TEXT:
            frames.append(frame.json())
    assert frames[-1]["error"]["code"] == "conversation_erased"
    assert ws.close_code == 1008

    over_rest = await client.post(
        f"/api/v1/conversations/{person.conversation_id}/messages",
        json={"text": "and again"},
        headers=person.auth,
    )
    assert over_rest.status == 410
    assert (await over_rest.json())["error"]["code"] == "conversation_erased"
    read = await client.get(
        f"/api/v1/conversations/{person.conversation_id}/messages", headers=person.auth
    )
    assert read.status == 410
    refused = await client.ws_connect("/chat/ws")
    await send_hello(refused, person, 0)
    assert (await refused.receive_json(timeout=5))["error"]["code"] == "conversation_erased"
    await refused.receive(timeout=5)
    assert refused.close_code == 1008

    async with app[keys.DB].read() as session:
        stored = await message_store.messages_after(session, case_id=person.conversation_id)
        assert stored == []
    # What they write next starts a new conversation, which their next request finds.
    again = Person(client)
    await again.start(locale="en", user_id="carol-3", user_hash=user_hash("carol-3", secret=SECRET))
    await again.say("one more thing")
    async with app[keys.DB].transaction() as session:
        exported = await export_person(
            session,
            person_refs=person_refs_for("carol-3", identity_secret=SECRET),
            now=datetime.now(UTC),
        )
    assert [c["case"]["id"] for c in exported["cases"]] == [again.conversation_id]


async def test_nothing_more_is_stored_for_an_erased_case(
    client: TestClient, slack: SlackFake
) -> None:
    """Erased while an agent holds it: the agent's next thread reply is not stored (the
    case is unlinked, so nothing could reach it), and the person's side is closed too."""
    app = client.app
    card_ts = await handed_off(client, slack, "dana-9", "dana-secret")
    async with app[keys.DB].read() as session:
        case = await case_store.get_case_by_card(
            session, channel=slack.channel_id(CHANNEL), ts=card_ts
        )
    assert case is not None
    async with app[keys.DB].transaction() as session:
        await erase_person(
            session,
            person_refs=person_refs_for("dana-9", identity_secret=SECRET),
            now=datetime.now(UTC),
        )

    await slack.post(user=AGENT, channel=CHANNEL, thread_ts=card_ts, text="Dana, about your Visa")
    await slack.wait_for(
        lambda: any(
            m.get("ephemeral_to") == AGENT and "This case is closed" in m["text"]
            for m in slack.messages(CHANNEL)
        )
    )
    async with app[keys.DB].read() as session:
        assert await message_store.messages_after(session, case_id=case.id) == []
    token = issue_token(case.id, secret=app[keys.SETTINGS].token_secret, ttl_s=60, now=time.time())
    auth = {"Authorization": f"Bearer {token}"}
    for path, body in (("contact", {"route": "phone"}), ("csat", {"score": 5})):
        answer = await client.post(
            f"/api/v1/conversations/{case.id}/{path}", json=body, headers=auth
        )
        assert answer.status == 410, path
        assert (await answer.json())["error"]["code"] == "conversation_erased"
