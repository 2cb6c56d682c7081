"""A crisis reply says which of its words are links (`links`: tel:, sms:, https:), wherever
messages reach the page: the REST answers (start, post, history) and the chat socket, live
and replayed. Other messages, and the person's or an agent's words, never carry links."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.conversation.engine import Engine
from bot.store.models import Message
from handlers.chat_api import message_json
from tests.support import Person, frames_until_quiet, open_socket

US_LINKS = [
    {"text": "988", "href": "tel:988"},
    {"text": "741741", "href": "sms:741741?&body=HOME"},
    {"text": "911", "href": "tel:911"},
]
SE_LINKS = [
    {"text": "90101", "href": "tel:90101"},
    {"text": "mind.se", "href": "https://mind.se"},
    {"text": "112", "href": "tel:112"},
]
US_SENTENCE = (
    "You can also call or text 988 (Suicide & Crisis Lifeline), or text HOME to 741741 "
    "(Crisis Text Line), at any hour. If you are in immediate danger, call 911."
)


def crisis_reply(messages: list[dict[str, Any]]) -> dict[str, Any]:
    replies = [m for m in messages if m["sender"] == "bot" and "links" in m]
    assert len(replies) == 1, messages
    return replies[0]


def assert_links_in_order(message: dict[str, Any]) -> None:
    at = 0
    for link in message["links"]:
        found = message["text"].find(link["text"], at)
        assert found >= 0, f"{link} not in {message['text']!r} after {at}"
        at = found + len(link["text"])


@pytest.mark.parametrize(
    ("locale", "text", "links"),
    [
        ("en-US", "I want to kill myself tonight", US_LINKS),
        ("sv-SE", "Jag vill ta mitt liv i kväll", SE_LINKS),
    ],
)
async def test_a_crisis_reply_carries_its_links_in_every_answer(
    client: TestClient, locale: str, text: str, links: list[dict[str, str]]
) -> None:
    person = Person(client)
    started = await person.start(locale=locale)
    assert all("links" not in m for m in started["messages"])  # the greeting

    answer = await person.say(text)
    reply = crisis_reply(answer["messages"])
    assert reply["links"] == links
    assert_links_in_order(reply)
    assert set(reply) == {"seq", "sender", "text", "at", "links"}  # additive, nothing else

    history = (await person.inbox())["messages"]
    assert crisis_reply(history) == reply
    said = [m for m in history if m["sender"] == "user"]
    assert [m["text"] for m in said] == [text] and "links" not in said[0]

    # The socket replays the history on (re)connect with the same links.
    ws = await open_socket(client, person, after=0)
    try:
        replayed = [f["message"] for f in await frames_until_quiet(ws) if f["type"] == "message"]
    finally:
        await ws.close()
    assert crisis_reply(replayed) == reply


async def test_a_crisis_reply_sent_live_on_the_socket_carries_its_links(
    client: TestClient,
) -> None:
    person = Person(client)
    started = await person.start(locale="en-US")
    ws = await open_socket(client, person, after=started["messages"][-1]["seq"])
    try:
        await ws.send_json(
            {"type": "message", "text": "I want to kill myself tonight", "client_id": "c-1"}
        )
        frames = await frames_until_quiet(ws)
    finally:
        await ws.close()
    messages = [f["message"] for f in frames if f["type"] == "message"]
    assert crisis_reply(messages)["links"] == US_LINKS


async def test_an_ordinary_answer_has_no_links(client: TestClient) -> None:
    person = Person(client)
    await person.start(locale="en-US")
    answer = await person.say("I was charged twice for my session this month")
    assert answer["messages"] and all(m["sender"] == "bot" for m in answer["messages"])
    assert all("links" not in m for m in answer["messages"])
    assert all("links" not in m for m in (await person.inbox())["messages"])


async def test_the_persons_own_words_never_become_links(client: TestClient) -> None:
    person = Person(client)
    await person.start(locale="en-US")
    await person.say(f"Someone told me this: {US_SENTENCE}")
    said = [m for m in (await person.inbox())["messages"] if m["sender"] == "user"]
    assert len(said) == 1 and US_SENTENCE in said[0]["text"]
    assert "links" not in said[0]


@pytest.mark.parametrize(
    ("sender", "linked"), [("bot", True), ("user", False), ("agent", False), ("system", False)]
)
def test_only_the_bots_words_are_linked(engine: Engine, sender: str, linked: bool) -> None:
    _, reply = engine.crisis.reply(locale="en", region="US")
    message = Message(
        case_id="c",
        seq=3,
        sender=sender,
        text=reply,
        author_name="Alex",
        created_at=datetime.now(UTC),
    )
    body = message_json(message, engine)
    assert body.get("links") == (US_LINKS if linked else None)
