"""The two people in a browser test: the person in /chat (through the page, as they see
it) and the agent in Slack (through the sandbox control API, as a script would)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import pytest
from playwright.async_api import Page

# Generous for a loaded CI machine; a passing run waits far less (polls every 50 ms).
WAIT_S = 15.0
T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T | None]], *, what: str) -> T:
    """Poll `check` until it returns something truthy; fail saying `what` never happened."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what} (last saw {result!r})")
        await asyncio.sleep(0.05)


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two opaque computed colours ("rgb(r, g, b)")."""

    def luminance(colour: str) -> float:
        channels = [int(c) / 255 for c in colour[colour.index("(") + 1 : -1].split(",")]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# Read the message list the way a person sees it: who, what, in which order.
READ_MESSAGES = """() => Array.from(document.querySelectorAll('#messages > li')).map(li => ({
  seq: li.dataset.seq ? Number(li.dataset.seq) : null,
  sender: Array.from(li.classList).find(c => c.startsWith('msg--') && c !== 'msg--pending')
    .slice(5),
  who: li.querySelector('.msg__who').textContent,
  text: li.querySelector('.msg__text').textContent,
  pending: li.classList.contains('msg--pending'),
}))"""


@dataclass(frozen=True)
class Shown:
    seq: int | None
    sender: str
    who: str
    text: str
    pending: bool


class ChatPage:
    """The person, using /chat in a browser tab."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    async def open(self, query: str = "") -> None:
        await self.page.goto(f"{self.base_url}/chat{query}")
        await self.wait_connected()

    async def wait_connected(self) -> None:
        await self.page.wait_for_selector("#chat[data-connection=open]", state="attached")

    async def say(self, text: str) -> None:
        await self.page.fill("#input", text)
        await self.page.press("#input", "Enter")

    async def messages(self) -> list[Shown]:
        return [Shown(**item) for item in await self.page.evaluate(READ_MESSAGES)]

    async def wait_for(
        self, text: str, *, sender: str | None = None, pending: bool = False
    ) -> Shown:
        """The message once shown; the person's own once the server took it, unless `pending`."""

        async def shown() -> Shown | None:
            for message in await self.messages():
                if message.text == text and (sender is None or message.sender == sender):
                    if pending or not message.pending:
                        return message
            return None

        try:
            return await eventually(shown, what=f"{sender or 'a'} message {text!r} in the page")
        except pytest.fail.Exception:
            pytest.fail(
                f"{sender or 'a'} message {text!r} never shown; page: {await self.messages()}"
            )

    async def wait_for_state(self, state: str) -> None:
        await self.page.wait_for_selector(f"#chat[data-state={state}]", state="attached")

    async def case_ref(self) -> str:
        async def ref() -> str | None:
            value = await self.page.get_attribute("#chat", "data-case-ref")
            return value or None

        return await eventually(ref, what="the case reference")

    async def stored_session(self) -> dict[str, Any]:
        stored: dict[str, Any] = await self.page.evaluate(
            "() => JSON.parse(sessionStorage.getItem('supportbot.chat.v1') || 'null')"
        )
        return stored


class Backend:
    """What the server has stored, read through the REST API with the page's own token."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str) -> None:
        self.http = http
        self.base_url = base_url

    async def messages(self, session: dict[str, Any]) -> list[dict[str, Any]]:
        async with self.http.get(
            f"{self.base_url}/api/v1/conversations/{session['conversation_id']}/messages",
            params={"after": "0"},
            headers={"Authorization": f"Bearer {session['token']}"},
        ) as response:
            assert response.status == 200, await response.text()
            body: dict[str, Any] = await response.json()
        messages: list[dict[str, Any]] = body["messages"]
        return messages


@dataclass(frozen=True)
class Card:
    channel: str
    ts: str


class SandboxAgent:
    """A support agent in the built-in Slack sandbox, driven through /sandbox/api."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, user: str = "U0AGENT1") -> None:
        self.http = http
        self.api = f"{base_url}/sandbox/api"
        self.user = user

    async def _get(self, path: str, **params: str) -> dict[str, Any]:
        async with self.http.get(f"{self.api}/{path}", params=params) as response:
            assert response.status == 200, await response.text()
            body: dict[str, Any] = await response.json()
            return body

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(f"{self.api}/{path}", json=body) as response:
            assert response.status == 200, await response.text()
            answer: dict[str, Any] = await response.json()
            return answer

    async def find_card(self, case_ref: str) -> Card:
        async def card() -> Card | None:
            channels = (await self._get("channels"))["channels"]
            for channel in channels:
                if not channel["name"].startswith("support-"):
                    continue
                for message in (await self._get("messages", channel=channel["name"]))["messages"]:
                    top_level = (
                        not message.get("thread_ts") or message["thread_ts"] == message["ts"]
                    )
                    if message.get("bot_id") and top_level and case_ref in (message["text"] or ""):
                        return Card(channel=channel["name"], ts=message["ts"])
            return None

        return await eventually(
            card, what=f"the hand-off card for {case_ref} in a support-* channel"
        )

    async def click(self, card: Card, action_id: str) -> None:
        await self._post(
            "click",
            {"user": self.user, "channel": card.channel, "ts": card.ts, "action_id": action_id},
        )

    async def reply(self, card: Card, text: str) -> None:
        await self._post(
            "post",
            {"user": self.user, "channel": card.channel, "thread_ts": card.ts, "text": text},
        )


async def reach_an_agent(chat: ChatPage, agent: SandboxAgent) -> Card:
    """The person explains, asks for a person; the agent finds the card and claims it."""
    await chat.say("I was charged twice for my session this month")
    await chat.wait_for("I was charged twice for my session this month", sender="user")
    await chat.say("I want to talk to a person")
    await chat.wait_for_state("queued")
    card = await agent.find_card(await chat.case_ref())
    await agent.click(card, "claim")
    await chat.wait_for_state("agent")
    return card
