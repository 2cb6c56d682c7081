"""Many people writing at once: their messages are written together (bot/batching.py), and
each person sees exactly what they would have seen alone."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot import keys
from bot.chat import ChatService, Posted
from bot.clock import system_clock
from bot.errors import NotFound
from bot.store import messages as message_store
from bot.store.models import Case, CaseEvent, HandOff, OutboxItem

PEOPLE = 12
QUESTIONS = (
    "How do I reset my password?",
    "Where can I find my receipts?",
    "Can I reschedule my session for Friday?",
)


async def start(client: TestClient) -> str:
    resp = await client.post("/api/v1/conversations", json={"locale": "en"})
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["conversation_id"])


async def start_together(client: TestClient, count: int) -> list[str]:
    """Conversations whose messages are written in one lane, so that they can share a batch
    (on PostgreSQL two lanes write at once: bot/chat.py)."""
    chat: ChatService = client.app[keys.CHAT]
    cases = [await start(client)]
    while len(cases) < count:
        case_id = await start(client)
        if chat.write_lane(case_id) == chat.write_lane(cases[0]):
            cases.append(case_id)
    return cases


async def transcript(client: TestClient, case_id: str) -> list[dict[str, Any]]:
    _case, messages = await client.app[keys.CHAT].history(case_id=case_id)
    return [{"seq": m.seq, "sender": m.sender, "text": m.text} for m in messages]


async def test_people_writing_at_once_each_get_their_own_answers_in_order(
    client: TestClient,
) -> None:
    chat: ChatService = client.app[keys.CHAT]
    cases = [await start(client) for _ in range(PEOPLE)]

    async def converse(case_id: str, person: int) -> list[Posted]:
        posted = []
        for n, question in enumerate(QUESTIONS):
            posted.append(
                await chat.post(case_id=case_id, text=question, client_id=f"p{person}-{n}")
            )
        return posted

    results = await asyncio.gather(*(converse(c, i) for i, c in enumerate(cases)))

    for case_id, posted in zip(cases, results, strict=True):
        messages = await transcript(client, case_id)
        # Numbered 1, 2, 3, … with no gap: the greeting, then each question and its answer.
        assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
        asked = [m["text"] for m in messages if m["sender"] == "user"]
        assert asked == list(QUESTIONS)
        for post in posted:
            assert post.messages, "every question gets an answer"
            assert all(m.case_id == case_id for m in [post.user_message, *post.messages])
            assert all(m.sender == "bot" for m in post.messages)
        # What the person was told comes straight from what was stored.
        told = [m.text for post in posted for m in post.messages]
        stored = [m["text"] for m in messages if m["sender"] == "bot"][1:]  # after greeting
        assert told == stored


async def test_a_resent_message_in_the_same_batch_is_stored_once(client: TestClient) -> None:
    chat: ChatService = client.app[keys.CHAT]
    case_id = await start(client)
    others = [await start(client) for _ in range(4)]

    # A reconnecting client re-sends while the first copy may still be queued with others.
    first, again, *_rest = await asyncio.gather(
        chat.post(case_id=case_id, text="I was charged twice", client_id="dup-1"),
        chat.post(case_id=case_id, text="I was charged twice", client_id="dup-1"),
        *(chat.post(case_id=c, text="Where are my receipts?", client_id="x") for c in others),
    )

    assert again.user_message.seq == first.user_message.seq
    assert again.decision is None  # recognised as a re-send, not answered twice
    assert [m.seq for m in again.messages] == [m.seq for m in first.messages]
    messages = await transcript(client, case_id)
    assert [m["text"] for m in messages if m["sender"] == "user"] == ["I was charged twice"]


async def test_a_message_stored_earlier_and_resent_among_others_takes_none_with_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat: ChatService = client.app[keys.CHAT]
    case_id, *others = await start_together(client, 5)
    first = await chat.post(case_id=case_id, text="I was charged twice", client_id="dup-1")
    writes = spy_on_writes(monkeypatch)

    # After a reconnect the client re-sends it, in one batch with other people's messages:
    # the batch does not look re-sends up first, so its insert breaks the client-id key,
    # and the batch is written again, together, looking them up.
    again, *theirs = await asyncio.gather(
        chat.post(case_id=case_id, text="I was charged twice", client_id="dup-1"),
        *(chat.post(case_id=c, text="Where are my receipts?", client_id="x") for c in others),
    )

    assert writes == [(5, False, "IntegrityError"), (5, True, "ok")]
    assert again.user_message.seq == first.user_message.seq
    assert again.decision is None
    assert [m.text for m in again.messages] == [m.text for m in first.messages]
    messages = await transcript(client, case_id)
    assert [m["text"] for m in messages if m["sender"] == "user"] == ["I was charged twice"]
    for other, posted in zip(others, theirs, strict=True):
        assert posted.decision is not None and posted.messages  # answered, once
        messages = await transcript(client, other)
        assert [m["sender"] for m in messages] == ["bot", "user", "bot"]


async def test_a_lone_resend_is_found_and_another_broken_key_fails_alone(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat: ChatService = client.app[keys.CHAT]
    case_id = await start(client)
    first = await chat.post(case_id=case_id, text="My video froze", client_id="v-1")
    writes = spy_on_writes(monkeypatch)

    again = await chat.post(case_id=case_id, text="My video froze", client_id="v-1")

    assert writes == [(1, False, "IntegrityError"), (1, True, "ok")]
    assert (again.user_message.seq, again.decision) == (first.user_message.seq, None)
    assert [m.text for m in again.messages] == [m.text for m in first.messages]

    # A unique key other than the client id's is no re-send: the message fails on its own,
    # without a second try as a batch.
    async with client.app[keys.DB].transaction() as session:
        await message_store.add_message(  # takes the seq the next post would have been given
            session, case_id=case_id, sender="system", text="note", now=system_clock()
        )
        await session.exec(
            update(Case).where(col(Case.id) == case_id).values(last_seq=Case.last_seq - 1)
        )
    writes.clear()
    outcome = await asyncio.gather(
        chat.post(case_id=case_id, text="Still frozen", client_id="v-2"), return_exceptions=True
    )
    assert writes == [(1, False, "IntegrityError")]
    assert isinstance(outcome[0], IntegrityError)


def spy_on_writes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool, str]]:
    """Record each transaction the posts are written in: (posts, looked re-sends up, outcome)."""
    writes: list[tuple[int, bool, str]] = []
    original = ChatService._write_together

    async def write_together(service: ChatService, requests: list[Any], **kwargs: Any) -> Any:
        try:
            result = await original(service, requests, **kwargs)
        except Exception as exc:
            writes.append((len(requests), kwargs["find_resends"], type(exc).__name__))
            raise
        writes.append((len(requests), kwargs["find_resends"], "ok"))
        return result

    monkeypatch.setattr(ChatService, "_write_together", write_together)
    return writes


async def test_a_message_to_a_missing_conversation_fails_alone(client: TestClient) -> None:
    chat: ChatService = client.app[keys.CHAT]
    cases = [await start(client) for _ in range(5)]

    outcomes = await asyncio.gather(
        *(chat.post(case_id=c, text="How do I cancel my plan?") for c in cases),
        chat.post(case_id="0" * 32, text="How do I cancel my plan?"),
        return_exceptions=True,
    )

    assert isinstance(outcomes[-1], NotFound)
    for case_id, outcome in zip(cases, outcomes[:-1], strict=True):
        assert isinstance(outcome, Posted), outcome
        messages = await transcript(client, case_id)
        assert [m["text"] for m in messages if m["sender"] == "user"] == [
            "How do I cancel my plan?"
        ]


async def test_a_message_whose_handling_fails_takes_no_other_message_with_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A failure inside a shared transaction rolls all of it back; each message is then
    written on its own, so only the one that failed is refused (and nothing of it stored)."""
    chat: ChatService = client.app[keys.CHAT]
    cases = await start_together(client, 6)
    poison = cases[3]
    respond = chat.engine.respond

    def respond_or_fail(text: str, state: Any, **kwargs: Any) -> Any:
        if text == "this one breaks":
            raise RuntimeError("engine failure")
        return respond(text, state, **kwargs)

    monkeypatch.setattr(chat.engine, "respond", respond_or_fail)

    outcomes = await asyncio.gather(
        *(
            chat.post(
                case_id=c, text="this one breaks" if c == poison else "Where are my receipts?"
            )
            for c in cases
        ),
        return_exceptions=True,
    )

    # They went in one transaction, which failed, and were then written one by one.
    assert any("one by one" in r.getMessage() for r in caplog.records)
    for case_id, outcome in zip(cases, outcomes, strict=True):
        messages = await transcript(client, case_id)
        users = [m["text"] for m in messages if m["sender"] == "user"]
        if case_id == poison:
            assert isinstance(outcome, RuntimeError)
            assert users == []
        else:
            assert isinstance(outcome, Posted), outcome
            assert users == ["Where are my receipts?"]
            assert [m["seq"] for m in messages] == [1, 2, 3]


async def test_people_handing_off_at_once_each_get_their_own_card_and_log(
    client: TestClient,
) -> None:
    """Hand-offs in one batch are numbered by one flush (bot/chat.py): each case still gets
    its own HandOff, its audit event and its card, pointing at each other; a person who
    writes again in the same batch is answered as queued, after their hand-off."""
    chat: ChatService = client.app[keys.CHAT]
    cases = [await start(client) for _ in range(8)]
    twice = cases[0]
    asks = ("I want to talk to a person please", "Can a human help me with my refund?")

    outcomes = await asyncio.gather(
        *(chat.post(case_id=c, text=asks[i % 2]) for i, c in enumerate(cases)),
        chat.post(case_id=twice, text="It's about a double charge"),
    )

    assert all(o.decision is not None and o.decision.handoff for o in outcomes[:-1])
    assert outcomes[-1].decision is not None and outcomes[-1].decision.handoff is None
    async with client.app[keys.DB].read() as session:
        handoffs = (await session.exec(select(HandOff))).all()
        events = (
            await session.exec(select(CaseEvent).where(CaseEvent.kind == "handoff_created"))
        ).all()
        cards = (await session.exec(select(OutboxItem).where(OutboxItem.kind == "post_card"))).all()
    by_case = {h.case_id: h for h in handoffs}
    assert sorted(by_case) == sorted(cases) and len(handoffs) == len(cases)
    assert sorted((e.case_id, e.handoff_id) for e in events) == sorted(
        (h.case_id, h.id) for h in handoffs
    )
    assert sorted((c.payload["case_id"], c.payload["handoff_id"]) for c in cards) == sorted(
        (h.case_id, h.id) for h in handoffs
    )
    for i, case_id in enumerate(cases):
        assert by_case[case_id].queue == ("general", "billing")[i % 2]
        assert (await chat.case(case_id=case_id)).status == "queued"
    # The second message came after the hand-off: stored after it, and answered as queued.
    messages = await transcript(client, twice)
    assert [m["text"] for m in messages if m["sender"] == "user"] == [
        asks[0],
        "It's about a double charge",
    ]
    assert by_case[twice].after_seq < outcomes[-1].user_message.seq
