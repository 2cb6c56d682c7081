"""The Reply box on a claimed card: the person sees "{Name} is typing…" while it is open,
the reply reaches them as a normal message and the thread gets one copy; closing the box
hides the indicator; only the holder gets the box; bad text changes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient
from sqlmodel import select

from bot import keys
from bot import typing as agent_typing
from bot.slack_fake import SlackFake
from bot.slack_fake.blockkit import validate_view
from bot.store.models import Message, OutboxItem
from handlers.slack_reply_modal import CALLBACK_ID, reply_modal
from tests.support import Person, card_for, open_socket
from tests.toolkit.helpers import card_text_in, claimed, handed_off, held_by, only_modal

ALEX, SAM = "U0AGENT1", "U0AGENT2"
BILLING = "support-billing"
Frame = dict[str, Any]


async def next_frame(
    ws: ClientWebSocketResponse, want: Callable[[Frame], bool], timeout: float = 5
) -> Frame:
    deadline = time.monotonic() + timeout
    while True:
        frame: Frame = await ws.receive_json(timeout=max(0.01, deadline - time.monotonic()))
        if want(frame):
            return frame


async def frames_for(ws: ClientWebSocketResponse, seconds: float) -> list[Frame]:
    """Every frame the socket gets within a short, bounded wait."""
    frames: list[Frame] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            frames.append(await ws.receive_json(timeout=left))
        except TimeoutError:
            break
    return frames


def is_typing(frame: Frame) -> bool:
    return frame["type"] == "typing"


def views_opened(slack: SlackFake) -> list[dict[str, Any]]:
    opened = []
    for call in slack.calls:
        if call["method"] == "views.open" and "error" not in call:
            view = call["params"]["view"]
            opened.append(json.loads(view) if isinstance(view, str) else view)
    return opened


async def stored_agent_lines(client: TestClient, case_id: str) -> list[Message]:
    async with client.app[keys.DB].transaction() as session:
        rows = await session.exec(
            select(Message).where(Message.case_id == case_id, Message.sender == "agent")
        )
        return list(rows.all())


async def claimed_case(tk: TestClient, slack: SlackFake) -> tuple[Person, str, dict[str, Any]]:
    person, ref, card = await held_by(tk, slack, ALEX)
    return person, ref, card


async def send_box(tk: TestClient, person: Person, *, text: str, reply_id: str) -> str:
    """Send the Reply box's text as Alex, as its submission does; returns the outcome."""
    relayed = await agent_typing.send_reply(
        tk.app[keys.DESK],
        case_id=person.conversation_id,
        agent_id=ALEX,
        text=text,
        reply_id=reply_id,
        max_chars=tk.app[keys.SETTINGS].max_message_chars,
    )
    return relayed.outcome


async def thread_copies_queued(tk: TestClient, text: str) -> int:
    async with tk.app[keys.DB].transaction() as session:
        notices = (await session.exec(select(OutboxItem))).all()
    return len([n for n in notices if text in str(n.payload.get("text"))])


async def test_reply_box_shows_typing_then_the_reply_arrives_once(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    slack = tk_slack
    person, ref, card = await claimed_case(tk, slack)
    ws = await open_socket(tk, person)
    try:
        await slack.click(user=ALEX, channel=BILLING, ts=card["ts"], action_id="reply")

        # Slack opened the box for Alex, asked to hear about Cancel.
        [opened] = views_opened(slack)
        assert opened["callback_id"] == CALLBACK_ID and opened["notify_on_close"] is True
        element = opened["blocks"][-1]["element"]
        assert element["type"] == "plain_text_input" and element["multiline"] is True
        modal = only_modal(slack, ALEX)
        assert modal["callback_id"] == CALLBACK_ID

        # The person sees Alex typing, by the name Alex joined with, for a bounded time.
        typing = await next_frame(ws, is_typing)
        assert typing == {"type": "typing", "author": "Alex", "ttl_s": 30}

        text = "I've refunded the second charge & it shows in 3–5 days <3\nAnything else?"
        answer = await slack.submit_view(
            user=ALEX, view_id=modal["id"], values={"reply": {"reply": text}}
        )
        assert answer["status"] == 200
        assert not slack.modals_of(ALEX)

        # A normal message with a seq, exactly the text Alex typed, then typing stops.
        frame = await next_frame(ws, lambda f: f["type"] == "message")
        message = frame["message"]
        assert message["sender"] == "agent" and message["text"] == text
        assert message["author"] == "Alex" and isinstance(message["seq"], int)
        assert await next_frame(ws, is_typing) == {"type": "typing", "author": None, "ttl_s": 0}
    finally:
        await ws.close()

    # The thread keeps the record: one copy, posted by the bot, escaped for Slack.
    def copies() -> list[dict[str, Any]]:
        return [m for m in slack.thread(BILLING, card["ts"]) if "refunded the second" in m["text"]]

    await slack.wait_for(lambda: len(copies()) == 1)
    [copy] = copies()
    assert copy.get("bot_id") and f"<@{ALEX}> replied to the person" in copy["text"]
    assert "&amp; it shows" in copy["text"] and "&lt;3" in copy["text"]
    # Slack echoes the bot's post as a message event; the listener ignores it.
    await slack.idle()
    inbox = (await person.inbox())["messages"]
    assert [m["text"] for m in inbox if m["sender"] == "agent"] == [text]
    assert len(copies()) == 1
    case_id = person.conversation_id
    assert [m.text for m in await stored_agent_lines(tk, case_id)] == [text]
    assert not any("typing" in m["text"] for m in inbox)

    # Typing is never replayed: a socket resuming from the start gets messages only.
    again = await open_socket(tk, person, after=0)
    try:
        frames = await frames_for(again, 0.5)
    finally:
        await again.close()
    assert [f["message"]["text"] for f in frames if f["type"] == "message"][-1] == text
    assert not [f for f in frames if is_typing(f)]
    assert f"Claimed by <@{ALEX}>" in card_text_in(slack, BILLING, ref)


async def test_closing_the_box_stops_typing_and_sends_nothing(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    slack = tk_slack
    person, _ref, card = await claimed_case(tk, slack)
    before = (await person.inbox())["messages"]
    ws = await open_socket(tk, person)
    try:
        await slack.click(user=ALEX, channel=BILLING, ts=card["ts"], action_id="reply")
        assert (await next_frame(ws, is_typing))["author"] == "Alex"
        modal = only_modal(slack, ALEX)
        answer = await slack.close_view(user=ALEX, view_id=modal["id"])
        assert answer is not None and answer["status"] == 200
        assert await next_frame(ws, is_typing) == {"type": "typing", "author": None, "ttl_s": 0}
    finally:
        await ws.close()
    await slack.idle()
    assert (await person.inbox())["messages"] == before
    assert not any(m.get("bot_id") and "replied" in m["text"] for m in slack.messages(BILLING))


async def test_only_the_holder_gets_the_box(tk: TestClient, tk_slack: SlackFake) -> None:
    slack = tk_slack
    person, ref, card = await handed_off(tk, slack)
    # An unclaimed card has no Reply button at all.
    unclaimed = card_for(slack.messages(BILLING), ref)
    assert unclaimed is not None
    assert "reply" not in [e["action_id"] for e in unclaimed["blocks"][-1]["elements"]]

    await claimed(slack, user=ALEX, channel=BILLING, ref=ref, card=card)
    ws = await open_socket(tk, person)
    try:
        await slack.click(user=SAM, channel=BILLING, ts=card["ts"], action_id="reply")
        told = [m for m in slack.messages(BILLING) if m.get("ephemeral_to") == SAM]
        assert told and f"{ref} is claimed by <@{ALEX}>" in told[-1]["text"]
        assert not slack.modals_of(SAM) and not views_opened(slack)
        assert not [f for f in await frames_for(ws, 0.3) if is_typing(f)]
    finally:
        await ws.close()


async def test_bad_text_or_a_lost_case_gets_field_errors_and_changes_nothing(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    slack = tk_slack
    person, ref, card = await claimed_case(tk, slack)
    await slack.click(user=ALEX, channel=BILLING, ts=card["ts"], action_id="reply")
    modal = only_modal(slack, ALEX)
    max_chars = tk.app[keys.SETTINGS].max_message_chars

    async def submit(text: str) -> str:
        answer = await slack.submit_view(
            user=ALEX, view_id=modal["id"], values={"reply": {"reply": text}}
        )
        assert answer["status"] == 200
        body = answer["body"]
        assert body["response_action"] == "errors", body
        assert only_modal(slack, ALEX)["id"] == modal["id"]  # the box stays open
        return str(body["errors"]["reply"])

    assert "Write a reply first" in await submit("  \n ")
    assert f"{max_chars:,} characters" in await submit("x" * (max_chars + 1))

    # Alex lets the case go while the box is open; then Sam takes it.
    await slack.click(user=ALEX, channel=BILLING, ts=card["ts"], action_id="release")
    await slack.wait_for(lambda: "Unclaimed" in card_text_in(slack, BILLING, ref))
    assert "claim it first" in await submit("Still here?")
    await claimed(slack, user=SAM, channel=BILLING, ref=ref, card=card)
    assert f"{ref} is now with Sam" in await submit("Still here?")

    await slack.idle()
    assert await stored_agent_lines(tk, person.conversation_id) == []
    async with tk.app[keys.DB].transaction() as session:
        notices = (await session.exec(select(OutboxItem))).all()
    assert not [n for n in notices if "Still here" in json.dumps(n.payload)]
    assert not [m for m in slack.thread(BILLING, card["ts"]) if "Still here" in m["text"]]


async def test_the_same_box_sent_twice_reaches_the_person_once(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    """A submission is keyed by its view id, as a thread reply is by its ts."""
    person, _ref, _card = await claimed_case(tk, tk_slack)
    outcomes = [await send_box(tk, person, text="Done.", reply_id="V0TWICE001") for _ in range(2)]
    assert outcomes == ["relayed", "duplicate"]
    assert [m.text for m in await stored_agent_lines(tk, person.conversation_id)] == ["Done."]
    assert await thread_copies_queued(tk, "Done.") == 1


def test_the_box_is_a_view_slack_accepts_and_slack_caps_input_length() -> None:
    view = reply_modal(case_id="c1", channel="C0BILLING", ref="C-ABC123", name="Alex")
    assert validate_view(view) == []
    # Slack refuses a plain_text_input max_length above 3,000 (below the chat's 4,000),
    # which is why the box checks the length on submission instead.
    view["blocks"][-1]["element"]["max_length"] = 4000
    assert validate_view(view) == [
        "[ERROR] must be less than or equal to 3000 "
        "[json-pointer:/view/blocks/1/element/max_length]"
    ]


async def test_the_reply_and_its_thread_copy_are_stored_together_or_not_at_all(
    tk: TestClient, tk_slack: SlackFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while queueing the thread copy takes the reply back with it: the person
    never has a reply the thread lacks, and sending the box again delivers both once."""
    person, _ref, _card = await claimed_case(tk, tk_slack)
    note_in_thread = agent_typing.handoffs.note_in_thread
    failures = iter([OSError("database went away")])

    async def failing_once(*args: Any, **kwargs: Any) -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return await note_in_thread(*args, **kwargs)

    monkeypatch.setattr(agent_typing.handoffs, "note_in_thread", failing_once)

    with pytest.raises(OSError):
        await send_box(tk, person, text="Refund issued.", reply_id="V0ATOMIC01")
    assert await stored_agent_lines(tk, person.conversation_id) == []
    inbox = (await person.inbox())["messages"]
    assert not [m for m in inbox if m["sender"] == "agent"]

    assert await send_box(tk, person, text="Refund issued.", reply_id="V0ATOMIC01") == "relayed"
    assert [m.text for m in await stored_agent_lines(tk, person.conversation_id)] == [
        "Refund issued."
    ]
    assert await thread_copies_queued(tk, "Refund issued.") == 1


async def test_the_person_gets_the_exact_reply_and_the_thread_a_redacted_copy(
    tk: TestClient, tk_slack: SlackFake
) -> None:
    """An agent's reply may quote the person's email or card: the person reads it as
    written, the thread's copy is redacted like any text that may quote them."""
    person, _ref, _card = await claimed_case(tk, tk_slack)
    text = "Receipt sent to anna.svensson@example.com for card 4111 1111 1111 1111."
    assert await send_box(tk, person, text=text, reply_id="V0REDACT01") == "relayed"
    assert [m.text for m in await stored_agent_lines(tk, person.conversation_id)] == [text]
    assert await thread_copies_queued(tk, "Receipt sent to [email] for card [card].") == 1
    assert await thread_copies_queued(tk, "anna.svensson") == 0
