"""Typing from the agent, as the person sees it in /chat: the agent opens the Reply box on
the card in the Slack sandbox, the chat says "Alex is typing…", and the indicator goes
when the reply arrives or the box is closed unsent."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Page

from tests.browser.conftest import LiveServer
from tests.browser.drivers import ChatPage, SandboxAgent, eventually, reach_an_agent

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _open_reply_box(agent: SandboxAgent, card: Any) -> str:
    async def reply_button() -> bool:
        # The card gains its Reply button when the claim's card update is posted.
        listed = (await agent._get("messages", channel=card.channel))["messages"]
        shown = next((m for m in listed if m["ts"] == card.ts), None)
        return shown is not None and '"action_id": "reply"' in json.dumps(shown["blocks"])

    await eventually(reply_button, what="the Reply button on the claimed card")
    await agent.click(card, "reply")

    async def modal() -> str | None:
        modals = (await agent._get("views", user=agent.user))["modals"]
        found = [m for m in modals if m.get("callback_id") == "reply_to_person"]
        return found[-1]["id"] if found else None

    return await eventually(modal, what="the Reply box open in the sandbox")


async def _typing_line(page: Page) -> str:
    return (await page.text_content("#typing") or "").strip()


async def test_the_person_sees_the_agent_typing_then_the_reply(
    page: Page, server: LiveServer, http: aiohttp.ClientSession
) -> None:
    chat = ChatPage(page, server.url)
    await chat.open()
    agent = SandboxAgent(http, server.url, user="U0AGENT1")  # Alex Rivera in the sandbox
    card = await reach_an_agent(chat, agent)
    assert await _typing_line(page) == ""

    view_id = await _open_reply_box(agent, card)
    await eventually(lambda: _shows(page, "Alex is typing…"), what="'Alex is typing…' in the chat")

    await agent._post(
        "submit",
        {
            "user": agent.user,
            "view_id": view_id,
            "values": {"reply": {"reply": "Found it: the second charge is refunded today."}},
        },
    )
    reply = await chat.wait_for("Found it: the second charge is refunded today.", sender="agent")
    assert reply.who == "Alex"
    await eventually(lambda: _shows(page, ""), what="the typing line gone after the reply")


async def test_closing_the_box_unsent_hides_the_indicator_at_once(
    page: Page, server: LiveServer, http: aiohttp.ClientSession
) -> None:
    chat = ChatPage(page, server.url)
    await chat.open()
    agent = SandboxAgent(http, server.url, user="U0AGENT1")
    card = await reach_an_agent(chat, agent)

    view_id = await _open_reply_box(agent, card)
    await eventually(lambda: _shows(page, "Alex is typing…"), what="the typing line")
    await agent._post("close", {"user": agent.user, "view_id": view_id})
    await eventually(lambda: _shows(page, ""), what="the typing line gone after Cancel")
    assert not [m for m in await chat.messages() if m.sender == "agent"]


async def _shows(page: Page, text: str) -> bool | None:
    return True if await _typing_line(page) == text else None
