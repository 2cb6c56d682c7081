"""When the server stops, every chat socket is told to go elsewhere (1001 "going away"),
promptly, including one that opens while the server is stopping, and a socket whose
client does not answer the goodbye does not hold the stop up."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSCloseCode, WSMsgType
from aiohttp.test_utils import TestClient

from bot import keys
from bot.chat import ChatService
from handlers.chat_ws import GOODBYE_TIMEOUT_S
from tests.handlers.test_chat_ws_defences import open_chat
from tests.support import Person


async def close_code(ws: ClientWebSocketResponse) -> int | None:
    frame = await ws.receive(timeout=5)
    return int(frame.data) if frame.type == WSMsgType.CLOSE else None


async def person(client: TestClient) -> Person:
    someone = Person(client)
    await someone.start(locale="en-US")
    return someone


async def test_open_sockets_are_told_to_go_elsewhere_and_late_ones_too(
    client: TestClient,
) -> None:
    sockets = [await open_chat(client, await person(client)) for _ in range(3)]
    closing = asyncio.create_task(client.app[keys.CHAT_SOCKETS].close_all())
    assert [await close_code(ws) for ws in sockets] == [WSCloseCode.GOING_AWAY] * 3
    await closing
    # A reconnect that arrives while the server is stopping is not served either.
    late = await client.ws_connect("/chat/ws")
    assert await close_code(late) == WSCloseCode.GOING_AWAY


async def test_a_client_that_never_answers_the_goodbye_does_not_hold_the_stop(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    answering = await open_chat(client, await person(client))
    silent = await open_chat(client, await person(client))
    # Its handler is busy writing a message when the stop comes, so the close waits for
    # the client's reply itself; the client has stopped reading and never replies.
    posting = asyncio.Event()
    original = ChatService.post

    async def slow_post(service: ChatService, **kwargs: Any) -> Any:
        posting.set()
        await asyncio.sleep(GOODBYE_TIMEOUT_S * 3)
        return await original(service, **kwargs)

    monkeypatch.setattr(ChatService, "post", slow_post)
    await silent.send_json({"type": "message", "text": "hello?", "client_id": "m1"})
    await posting.wait()
    started = time.monotonic()
    closing = asyncio.create_task(client.app[keys.CHAT_SOCKETS].close_all())
    assert await close_code(answering) == WSCloseCode.GOING_AWAY
    await closing
    assert GOODBYE_TIMEOUT_S - 0.2 < time.monotonic() - started < GOODBYE_TIMEOUT_S + 1
