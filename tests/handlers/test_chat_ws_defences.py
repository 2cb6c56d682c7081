"""The chat socket's defences: Origin check, frame bound, rate limits (close 1008)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient

from bot import keys
from handlers.chat_ws import max_frame_bytes
from tests.handlers.conftest import MakeClient, Ticker, assert_error, stored_rows
from tests.support import Person, open_socket, send_hello


async def receive_json(ws: ClientWebSocketResponse) -> dict[str, Any]:
    frame = await ws.receive(timeout=5)
    assert frame.type == WSMsgType.TEXT, frame
    data: dict[str, Any] = json.loads(frame.data)
    return data


async def open_chat(client: TestClient, person: Person) -> ClientWebSocketResponse:
    ws = await open_socket(client, person)
    assert (await receive_json(ws))["type"] == "message"  # the greeting
    return ws


async def next_of(ws: ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        frame = await receive_json(ws)
        if frame["type"] == kind:
            return frame


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "http://127.0.0.1.evil.example", "file://"]
)
async def test_foreign_origin_is_refused_before_the_upgrade(
    client: TestClient, origin: str
) -> None:
    response = await client.get(
        "/chat/ws",
        headers={
            "Origin": origin,
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert response.status == 403
    assert_error(await response.json(), "origin_not_allowed")


async def test_own_origin_and_public_url_may_open_the_chat(make_client: MakeClient) -> None:
    client = await make_client(public_url="https://support.example.com/")
    person = Person(client)
    await person.start()
    own = f"http://{client.host}:{client.port}"
    for origin in (own, "https://support.example.com"):
        ws = await client.ws_connect("/chat/ws", headers={"Origin": origin})
        await ws.send_json(
            {"type": "hello", "conversation_id": person.conversation_id, "token": person.token}
        )
        assert (await receive_json(ws))["type"] == "ready", origin
        await ws.close()


async def test_own_page_behind_a_tls_proxy_may_open_the_chat(make_client: MakeClient) -> None:
    """Heroku's router ends TLS: the app hears http, the person's browser on the bot's own
    https page sends `Origin: https://<host>` and the router `X-Forwarded-Proto: https`.
    With the proxy trusted (TRUSTED_PROXY_HOPS) that is the bot's own origin; untrusted,
    the header is anyone's to write and changes nothing."""
    upgrade = {
        "Host": "supportbot.herokuapp.com",
        "Origin": "https://supportbot.herokuapp.com",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-For": "203.0.113.9",
    }
    behind_router = await make_client(trusted_proxy_hops=1)
    person = Person(behind_router)
    await person.start()
    ws = await behind_router.ws_connect("/chat/ws", headers=upgrade)
    await send_hello(ws, person, 0)
    assert (await receive_json(ws))["type"] == "ready"
    await ws.close()

    for origin in ("https://evil.example", "https://supportbot.herokuapp.com.evil.example"):
        refused = await behind_router.get(
            "/chat/ws",
            headers={
                **upgrade,
                "Origin": origin,
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        )
        assert refused.status == 403, origin

    untrusted = await make_client(trusted_proxy_hops=0)
    refused = await untrusted.get(
        "/chat/ws",
        headers={
            **upgrade,
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert refused.status == 403
    assert_error(await refused.json(), "origin_not_allowed")


async def test_frame_over_the_bound_closes_with_1009_and_stores_nothing(
    client: TestClient,
) -> None:
    person = Person(client)
    await person.start()
    ws = await open_chat(client, person)
    before = await stored_rows(client)
    await ws.send_str(json.dumps({"type": "message", "text": "a" * max_frame_bytes(4000)}))
    closed = await ws.receive(timeout=5)
    assert closed.type == WSMsgType.CLOSE
    assert ws.close_code == 1009  # Message Too Big (RFC 6455 §7.4.1)
    assert await stored_rows(client) == before


async def test_longest_message_fits_in_a_frame_however_it_is_escaped(
    client: TestClient,
) -> None:
    """4,000 astral characters, each escaped as 12 bytes by json.dumps, are one message."""
    person = Person(client)
    await person.start()
    ws = await open_chat(client, person)
    text = "\U0001f62d" * 4000
    await ws.send_str(json.dumps({"type": "message", "text": text, "client_id": "c" * 64}))
    ack = await next_of(ws, "ack")
    assert ack["client_id"] == "c" * 64
    messages = (await person.inbox())["messages"]
    assert any(m["text"] == text for m in messages)
    await ws.close()


async def test_too_long_message_is_an_error_frame_and_stores_nothing(
    client: TestClient,
) -> None:
    person = Person(client)
    await person.start()
    ws = await open_chat(client, person)
    before = await stored_rows(client)
    await ws.send_json({"type": "message", "text": "a" * 4001, "client_id": "m1"})
    error = await next_of(ws, "error")
    assert error["client_id"] == "m1"
    assert error["error"]["code"] == "text_too_long"
    assert await stored_rows(client) == before
    await ws.send_json({"type": "ping"})
    assert (await next_of(ws, "pong"))["type"] == "pong", "the socket stays open"
    await ws.close()


@pytest.mark.parametrize(
    "frame",
    ['{"type": "message", "text": "hi\\u0000"}', '{"type": "message", "text": "\\ud800"}', "[]"],
)
async def test_unstorable_or_malformed_frame_is_an_error_and_stores_nothing(
    client: TestClient, frame: str
) -> None:
    person = Person(client)
    await person.start()
    ws = await open_chat(client, person)
    before = await stored_rows(client)
    await ws.send_str(frame)
    error = await next_of(ws, "error")
    assert error["error"]["code"] == "invalid_json"
    assert await stored_rows(client) == before
    await ws.close()


async def test_messages_over_the_conversation_limit_close_with_1008(
    make_client: MakeClient, ticker: Ticker
) -> None:
    client = await make_client(conversation=(0.5, 2))
    person = Person(client)
    await person.start()
    ws = await open_chat(client, person)
    for n in (1, 2):
        await ws.send_json(
            {"type": "message", "text": f"my call dropped {n}", "client_id": f"m{n}"}
        )
        assert (await next_of(ws, "ack"))["client_id"] == f"m{n}"
    before = await stored_rows(client)
    await ws.send_json({"type": "message", "text": "hello?", "client_id": "m3"})
    error = await next_of(ws, "error")
    assert error["client_id"] == "m3"
    assert error["retry_after"] == 2
    assert error["error"]["code"] == "rate_limited"
    closed = await ws.receive(timeout=5)
    assert closed.type == WSMsgType.CLOSE
    assert ws.close_code == 1008
    assert closed.extra == "rate limited"
    assert await stored_rows(client) == before
    # Once the budget refills the person reconnects and carries on where they were.
    ticker.advance(2)
    again = await client.ws_connect("/chat/ws")
    await again.send_json(
        {"type": "hello", "conversation_id": person.conversation_id, "token": person.token}
    )
    assert (await receive_json(again))["type"] == "ready"
    await again.send_json({"type": "message", "text": "hello?", "client_id": "m3"})
    assert (await next_of(again, "ack"))["client_id"] == "m3"
    await again.close()


async def test_socket_messages_spend_the_address_budget_too(
    make_client: MakeClient,
) -> None:
    client = await make_client(ip=(0.01, 3))
    person = Person(client)
    await person.start()  # 1 of 3
    ws = await client.ws_connect("/chat/ws")  # 2 of 3
    await ws.send_json(
        {"type": "hello", "conversation_id": person.conversation_id, "token": person.token}
    )
    assert (await receive_json(ws))["type"] == "ready"
    await ws.send_json({"type": "message", "text": "my call dropped", "client_id": "a"})
    assert (await next_of(ws, "ack"))["client_id"] == "a"  # 3 of 3
    await ws.send_json({"type": "message", "text": "again", "client_id": "b"})
    assert (await next_of(ws, "error"))["error"]["code"] == "rate_limited"
    await ws.receive(timeout=5)
    assert ws.close_code == 1008
    # A new socket from the same address is refused before the upgrade, as JSON.
    refused = await client.get(
        "/chat/ws",
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert_error(await refused.json(), "rate_limited")


@pytest.mark.parametrize("after", [-1, 2**31, "5", True, 1.5, 2])
async def test_bad_after_in_hello_closes_with_1008(client: TestClient, after: object) -> None:
    person = Person(client)
    await person.start()  # the greeting is seq 1: no client has been sent seq 2
    ws = await client.ws_connect("/chat/ws")
    await send_hello(ws, person, after)
    error = await receive_json(ws)
    assert error["error"]["code"] == "after_invalid"
    await ws.receive(timeout=5)
    assert ws.close_code == 1008


async def test_empty_client_id_is_an_error_frame_every_time(client: TestClient) -> None:
    """Found by the fuzz test: a second "" collided in the store (a 500) instead."""
    person = Person(client)
    await person.start()
    ws = await open_chat(client, person)
    before = await stored_rows(client)
    for _ in range(2):
        await ws.send_json({"type": "message", "text": "hello", "client_id": ""})
        error = await next_of(ws, "error")
        assert error["error"]["code"] == "client_id_invalid"
    assert await stored_rows(client) == before
    await ws.close()


async def test_a_failure_on_our_side_closes_with_1011_and_the_resent_message_is_kept_once(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = Person(client)
    await person.start()
    chat = client.app[keys.CHAT]
    respond = chat.engine.respond
    failures = iter([RuntimeError("engine failure")])

    def respond_once_failing(*args: Any, **kwargs: Any) -> Any:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return respond(*args, **kwargs)

    monkeypatch.setattr(chat.engine, "respond", respond_once_failing)
    ws = await open_chat(client, person)
    before = await stored_rows(client)
    await ws.send_json({"type": "message", "text": "I was charged twice", "client_id": "m1"})

    error = await next_of(ws, "error")
    assert error["client_id"] == "m1"
    assert error["error"]["code"] == "internal"
    closing = await ws.receive(timeout=5)
    assert closing.type == WSMsgType.CLOSE
    assert closing.data == 1011  # a clean close, not a garbled frame
    assert await stored_rows(client) == before

    # The client reconnects and re-sends what was not acknowledged: stored once.
    ws = await open_chat(client, person)
    await ws.send_json({"type": "message", "text": "I was charged twice", "client_id": "m1"})
    assert (await next_of(ws, "ack"))["client_id"] == "m1"
    await ws.close()
    texts = [m["text"] for m in (await person.inbox())["messages"]]
    assert texts.count("I was charged twice") == 1
