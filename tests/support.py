"""Helpers the tests share: a person talking over REST, waiting on the Slack fake."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import asyncpg
from aiohttp.test_utils import TestClient


async def reset_postgres(url: str) -> bool:
    """Empty the test database's public schema. False if PostgreSQL is not there."""
    dsn = url.replace("postgresql+asyncpg://", "postgresql://")
    try:
        conn = await asyncpg.connect(dsn, timeout=5)
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;")
    finally:
        await conn.close()
    return True


class Person:
    """Someone chatting with the bot through the REST API."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.conversation_id = ""
        self.token = ""
        self.seen = 0

    async def start(self, **body: Any) -> dict[str, Any]:
        response = await self.client.post("/api/v1/conversations", json=body)
        assert response.status == 201, await response.text()
        data: dict[str, Any] = await response.json()
        self.conversation_id, self.token = data["conversation_id"], data["token"]
        return data

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def say(self, text: str, **extra: Any) -> dict[str, Any]:
        response = await self.client.post(
            f"/api/v1/conversations/{self.conversation_id}/messages",
            json={"text": text, **extra},
            headers=self.auth,
        )
        assert response.status == 200, await response.text()
        data: dict[str, Any] = await response.json()
        return data

    async def inbox(self, after: int = 0) -> dict[str, Any]:
        response = await self.client.get(
            f"/api/v1/conversations/{self.conversation_id}/messages",
            params={"after": str(after)},
            headers=self.auth,
        )
        assert response.status == 200, await response.text()
        data: dict[str, Any] = await response.json()
        return data


async def open_socket(
    client: TestClient | aiohttp.ClientSession, person: Person, after: int = 0
) -> aiohttp.ClientWebSocketResponse:
    """The person's chat socket, past its hello: messages after `after` follow."""
    ws = await client.ws_connect("/chat/ws")
    await send_hello(ws, person, after)
    assert (await ws.receive_json(timeout=5))["type"] == "ready"
    return ws


async def send_hello(ws: aiohttp.ClientWebSocketResponse, person: Person, after: object) -> None:
    """The first frame of a chat socket, `after` as given (valid or not)."""
    await ws.send_json(
        {
            "type": "hello",
            "conversation_id": person.conversation_id,
            "token": person.token,
            "after": after,
        }
    )


async def frames_until_quiet(
    ws: aiohttp.ClientWebSocketResponse, quiet_s: float = 0.5
) -> list[dict[str, Any]]:
    """The next frame (within 5 s) and every one after it until the socket goes quiet."""
    first = await ws.receive(timeout=5)
    assert first.type == aiohttp.WSMsgType.TEXT, first
    frames: list[dict[str, Any]] = [json.loads(first.data)]
    while True:
        try:
            frames.append(await ws.receive_json(timeout=quiet_s))
        except TimeoutError:
            return frames


def card_for(messages: list[dict[str, Any]], ref: str) -> dict[str, Any] | None:
    for message in messages:
        is_parent = message.get("thread_ts") in (None, message.get("ts"))
        if (
            message.get("bot_id")
            and message.get("blocks")
            and not message.get("ephemeral_to")
            and is_parent
            and ref in (message.get("text") or "")
        ):
            return message
    return None


async def handed_off(
    client: TestClient, slack: Any, timeout: float = 10, channel: str = "support-general"
) -> tuple[Person, dict[str, Any], str]:
    """A person asks for a human agent; returns them, their card in `channel`, their ref."""
    person = Person(client)
    started = await person.start(locale="en-US")
    answer = await person.say("Connect me to a human agent please")
    assert answer["state"] == "queued"
    ref = started["case_ref"]
    await slack.wait_for(lambda: card_for(slack.messages(channel), ref) is not None, timeout)
    card = card_for(slack.messages(channel), ref)
    assert card is not None
    return person, card, ref


def blocks_text(message: dict[str, Any]) -> str:
    """Every piece of text in a message's blocks, joined, for assertions."""
    parts: list[str] = [message.get("text") or ""]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    parts.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(parts)
