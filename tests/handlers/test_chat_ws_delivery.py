"""What the chat socket sends after the person's own message: the ack, then every message
once, in `seq` order, without reading the store when the socket already holds them; and
the bus notices that tell a socket how far its case has got."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient

from bot import keys
from bot.bus import QUEUE_SIZE, RESYNC, Bus, messages_notice, notice_seq
from bot.chat import ChatService
from bot.clock import system_clock
from bot.store import messages as message_store
from bot.typing import typing_notice
from tests.handlers.test_chat_ws_defences import open_chat
from tests.support import Person, frames_until_quiet

# Long enough for the bot's answer on a busy machine; the tests wait this out a few times.
QUIET_S = 0.5


class StoreReads:
    """Counts the socket's reads of a conversation from the store (ChatService.history)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = ChatService.history

        async def history(service: ChatService, **kwargs: Any) -> Any:
            self.count += 1
            return await original(service, **kwargs)

        monkeypatch.setattr(ChatService, "history", history)


async def say(ws: ClientWebSocketResponse, text: str, client_id: str) -> list[dict[str, Any]]:
    """Send a message; return every frame that follows until the socket goes quiet."""
    await ws.send_json({"type": "message", "text": text, "client_id": client_id})
    return await frames_until_quiet(ws, QUIET_S)


def seqs(frames: list[dict[str, Any]]) -> list[int]:
    return [f["message"]["seq"] for f in frames if f["type"] == "message"]


async def store_message(client: TestClient, person: Person, text: str, internal: bool) -> None:
    """An agent's message written by another writer whose bus notice never arrived."""
    async with client.app[keys.DB].transaction() as session:
        await message_store.add_message(
            session,
            case_id=person.conversation_id,
            sender="agent",
            text=text,
            now=system_clock(),
            internal=internal,
            author_name="Alex",
        )


async def test_own_messages_come_after_the_ack_once_in_order_without_a_store_read(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = Person(client)
    await person.start(locale="en")
    ws = await open_chat(client, person)  # the greeting is seq 1
    reads = StoreReads(monkeypatch)
    try:
        sent: list[int] = []
        for n, text in enumerate(["Where can I see my invoices?", "How long is a live session?"]):
            frames = await say(ws, text, f"m{n}")
            ack, mine = frames[0], frames[1]["message"]
            assert ack == {"type": "ack", "client_id": f"m{n}", "seq": mine["seq"]}
            assert (mine["sender"], mine["text"]) == ("user", text)
            assert {f["message"]["sender"] for f in frames[2:] if f["type"] == "message"} == {"bot"}
            sent += seqs(frames)
    finally:
        await ws.close()
    # The post returned what it stored and the bus notice said how far the case had got:
    # the socket had it all, so it never read the store.
    assert reads.count == 0
    assert sent == list(range(2, 2 + len(sent)))
    assert [m["seq"] for m in (await person.inbox(after=1))["messages"]] == sent


@pytest.mark.parametrize("internal", [False, True], ids=["agent_message", "internal_note"])
async def test_a_message_stored_in_between_is_neither_skipped_nor_doubled(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, internal: bool
) -> None:
    person = Person(client)
    await person.start(locale="en")
    ws = await open_chat(client, person)
    try:
        await store_message(client, person, "Checking your invoices now", internal)
        reads = StoreReads(monkeypatch)
        frames = await say(ws, "Where can I see my invoices?", "m0")
        # The post's messages do not follow on from what the socket sent: it reads the gap.
        assert reads.count == 1
        got = [
            (f["message"]["sender"], f["message"]["seq"]) for f in frames if f["type"] == "message"
        ]
        gap = [] if internal else [("agent", 2)]  # an internal note is never sent
        assert got[: len(gap) + 1] == [*gap, ("user", 3)]
        assert {sender for sender, _ in got[len(gap) + 1 :]} == {"bot"}
        # From there on the socket is contiguous again and reads nothing.
        later = await say(ws, "How long is a live session?", "m1")
        assert reads.count == 1
        assert seqs(later)[0] == seqs(frames)[-1] + 1
    finally:
        await ws.close()
    visible = [m["seq"] for m in (await person.inbox())["messages"]]
    assert [1, *seqs(frames), *seqs(later)] == visible


async def test_a_resent_message_is_acknowledged_and_nothing_is_sent_twice(
    client: TestClient,
) -> None:
    person = Person(client)
    await person.start(locale="en")
    ws = await open_chat(client, person)
    try:
        first = await say(ws, "Where can I see my invoices?", "same")
        again = await say(ws, "Where can I see my invoices?", "same")
        assert again == [first[0]]  # the same ack, and nothing sent twice
    finally:
        await ws.close()
    assert len((await person.inbox())["messages"]) == 1 + len(seqs(first))


def test_message_notices_carry_the_seq_and_plain_ones_mean_read_the_store() -> None:
    assert notice_seq(messages_notice(42)) == 42
    assert notice_seq(messages_notice()) is None
    assert notice_seq(RESYNC) is None
    assert notice_seq(typing_notice(name="Alex", ttl_s=30)) is None
    assert notice_seq("messages/") is None


async def test_publish_carries_the_seq_and_a_plain_publish_still_works() -> None:
    bus = Bus()
    queue = bus.subscribe("case-1")
    await bus.publish("case-1", seq=7)
    await bus.publish("case-1")
    await bus.publish("case-1", typing_notice(name="Alex", ttl_s=30))
    assert [queue.get_nowait() for _ in range(3)] == [
        "messages/7",
        "messages",
        typing_notice(name="Alex", ttl_s=30),
    ]
    with pytest.raises(ValueError):
        await bus.publish("case-1", typing_notice(name="Alex", ttl_s=30), seq=7)


async def test_a_reader_that_fell_behind_loses_no_news() -> None:
    bus = Bus()
    queue = bus.subscribe("case-1")
    for seq in range(1, QUEUE_SIZE + 1):
        bus.deliver_local("case-1", messages_notice(seq))
        if seq == 10:
            bus.deliver_local("case-1", typing_notice(name="Alex", ttl_s=30))
    bus.deliver_local("case-1", typing_notice(name=None, ttl_s=0))
    pending = [queue.get_nowait() for _ in range(queue.qsize())]
    # A skipped "messages/SEQ" must not hide news the reader has not sent: one re-read of
    # the store stands for every message notice dropped, and typing notices keep their order.
    assert pending == [
        RESYNC,
        typing_notice(name="Alex", ttl_s=30),
        messages_notice(QUEUE_SIZE),
        typing_notice(name=None, ttl_s=0),
    ]
