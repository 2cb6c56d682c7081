"""chat_load.py's protocol floor sends what the app sends in the benchmark's loop.

The floor stands for the app's chat protocol with nothing behind it; if its frames were
fewer, shorter or shaped differently from the app's, the budget chat_load reports from it
would be wrong. Both are driven here through a whole benchmark conversation, with its own
texts, and compared frame by frame (type, keys, sender, seq) and by how much is said.
"""

from __future__ import annotations

from typing import Any

from aiohttp import ClientWebSocketResponse
from aiohttp.test_utils import TestClient, TestServer

from benchmarks.chat_load import FLOOR_HANDOFF_TURN, TEXTS, answer_budget_us, echo_app
from tests.support import Person, frames_until_quiet

TURNS = 8  # the benchmark's messages per conversation


async def conversation(
    ws: ClientWebSocketResponse, hello: dict[str, Any]
) -> list[list[dict[str, Any]]]:
    """The frames after the hello, then after each of TURNS benchmark messages."""
    await ws.send_json(hello)
    turns = [await frames_until_quiet(ws)]
    for n in range(TURNS):
        await ws.send_json({"type": "message", "text": TEXTS[n], "client_id": f"c0-{n}"})
        turns.append(await frames_until_quiet(ws))
    return turns


def said_in(turns: list[list[dict[str, Any]]]) -> int:
    return sum(len(f["message"]["text"]) for turn in turns for f in turn if f["type"] == "message")


def shape(frame: dict[str, Any]) -> tuple[Any, ...]:
    message = frame.get("message", {})
    return (
        frame["type"],
        sorted(frame),
        sorted(message),
        message.get("sender"),
        frame.get("seq"),
        message.get("seq"),
        len(message.get("at", "")),
    )


async def test_the_floor_sends_the_apps_frames_for_the_benchmarks_texts(
    client: TestClient,
) -> None:
    person = Person(client)
    await person.start(locale="en")
    app_ws = await client.ws_connect("/chat/ws")
    try:
        app_turns = await conversation(
            app_ws,
            {"type": "hello", "conversation_id": person.conversation_id, "token": person.token},
        )
    finally:
        await app_ws.close()
    async with TestClient(TestServer(echo_app())) as floor:
        floor_ws = await floor.ws_connect("/chat/ws")
        try:
            floor_turns = await conversation(
                floor_ws, {"type": "hello", "conversation_id": "floor", "token": "floor"}
            )
        finally:
            await floor_ws.close()

    assert [[shape(f) for f in turn] for turn in floor_turns] == [
        [shape(f) for f in turn] for turn in app_turns
    ]
    # Among them the hand-off, with the 4th answer.
    assert [f["state"] for turn in app_turns for f in turn if f["type"] == "state"] == ["queued"]
    # As much is said, within a tenth, before the hand-off and after it.
    for turns in (slice(0, FLOOR_HANDOFF_TURN + 1), slice(FLOOR_HANDOFF_TURN + 1, None)):
        said, floor_said = said_in(app_turns[turns]), said_in(floor_turns[turns])
        assert abs(floor_said - said) <= said / 10, (floor_said, said)


def test_answer_budget_is_the_time_the_target_leaves_beyond_the_protocol() -> None:
    # Echo 20,000/s: at 0.35 a message may take 1/7,000 s = 142.9 µs; the floor's 14,000/s
    # takes 71.4 µs of it.
    assert answer_budget_us(20_000, 14_000) == 71.4
    # A floor slower than 0.35 of the echo leaves nothing.
    assert answer_budget_us(20_000, 5_000) == -57.1
    assert answer_budget_us(0, 5_000) is None
