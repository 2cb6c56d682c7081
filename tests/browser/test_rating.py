"""The rating card after an agent resolves a case, in headless Chromium against the real app
and the Slack sandbox: it stays offered after a "thank you" reopens the case, and a rating
is only taken as given once the server has kept it (through a 429 and a dropped network)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from playwright.async_api import Page, Response, Route

from bot import keys
from bot.store import cases as case_store
from tests.browser.conftest import LiveServer
from tests.browser.drivers import Card, ChatPage, SandboxAgent, eventually, reach_an_agent

pytestmark = pytest.mark.asyncio(loop_scope="session")

THANKS = "Thank you for telling us."
NOT_KEPT = "Sorry, your rating didn't reach us. Please try again in a moment."
# The card waits out quiet retries (a few seconds) before it says a rating was not kept.
WAIT_MS = 15_000


async def resolved_with_rating_card(page: Page, server: LiveServer, http: Any) -> ChatPage:
    chat = ChatPage(page, server.url)
    await chat.open()
    agent = SandboxAgent(http, server.url)
    card = await reach_an_agent(chat, agent)
    await agent.click(card, "resolve")
    await chat.wait_for_state("resolved")
    await page.wait_for_selector("#csat", state="visible")
    return chat


async def new_card(agent: SandboxAgent, case_ref: str, *, after: Card) -> Card:
    """The card a second hand-off of the case posts (the first one stays, resolved)."""

    async def posted() -> Card | None:
        messages = (await agent._get("messages", channel=after.channel))["messages"]
        for message in messages:
            top_level = not message.get("thread_ts") or message["thread_ts"] == message["ts"]
            later = float(message["ts"]) > float(after.ts)
            if message.get("bot_id") and top_level and later and case_ref in message["text"]:
                return Card(channel=after.channel, ts=message["ts"])
        return None

    return await eventually(posted, what=f"a second card for {case_ref}")


async def stored_rating(server: LiveServer, conversation_id: str) -> int | None:
    async with server.app[keys.DB].read() as session:
        case = await case_store.get_case(session, case_id=conversation_id)
    assert case is not None
    return case.csat_score


async def rate_again_through_the_api(
    http: aiohttp.ClientSession, server: LiveServer, session: dict[str, Any]
) -> tuple[int, str]:
    async with http.post(
        f"{server.url}/api/v1/conversations/{session['conversation_id']}/csat",
        json={"score": 1},
        headers={"Authorization": f"Bearer {session['token']}"},
    ) as response:
        return response.status, (await response.json())["error"]["code"]


async def thanks_shown(page: Page) -> None:
    await page.wait_for_selector("#csat-thanks", state="visible", timeout=WAIT_MS)
    assert (await page.text_content("#csat-thanks") or "").strip() == THANKS
    assert await page.is_hidden("#csat-scale")


async def test_rating_stays_offered_after_a_thank_you_reopens_the_case(
    page: Page, server: LiveServer, http: aiohttp.ClientSession
) -> None:
    chat = await resolved_with_rating_card(page, server, http)

    await chat.say("thank you")
    await chat.wait_for("thank you", sender="user")
    await chat.wait_for_state("bot")  # the server reopened the case for the bot
    assert await page.is_visible("#csat-scale"), "the rating card went with the 'thank you'"
    # ... and it is still there after a reload.
    await page.reload()
    await chat.wait_connected()
    await chat.wait_for_state("bot")
    await page.wait_for_selector("#csat-scale", state="visible", timeout=WAIT_MS)

    async with page.expect_response(lambda r: r.url.endswith("/csat")) as rated:
        await page.click("#csat button[data-score='5']")
    assert (await rated.value).status == 201
    await thanks_shown(page)
    session = await chat.stored_session()
    assert await stored_rating(server, session["conversation_id"]) == 5
    assert await rate_again_through_the_api(http, server, session) == (409, "csat_already")

    await page.reload()
    await chat.wait_connected()
    await chat.wait_for("thank you", sender="user")
    assert await page.is_hidden("#csat")  # rated: not asked again for this resolution


async def test_rating_sent_while_the_chat_is_rate_limited_is_kept_after_retry_after(
    page: Page, server: LiveServer, http: aiohttp.ClientSession
) -> None:
    chat = await resolved_with_rating_card(page, server, http)
    session = await chat.stored_session()
    statuses: list[int] = []

    def on_response(response: Response) -> None:
        if response.url.endswith("/csat"):
            statuses.append(response.status)

    page.on("response", on_response)
    # The person's messages and the rating share the conversation's budget (1/s, burst 10):
    # spend it, as a burst of messages just before rating would.
    limiter = server.app[keys.CONVERSATION_LIMITER]
    while limiter.allow(session["conversation_id"]):
        pass

    async with page.expect_response(lambda r: r.url.endswith("/csat")) as refused:
        await page.click("#csat button[data-score='4']")
    assert (await refused.value).status == 429
    # Not thanked for a rating the server has not kept yet.
    assert await page.is_hidden("#csat-thanks")
    assert await page.is_visible("#csat-scale")

    await thanks_shown(page)
    assert statuses == [429, 201]
    assert await stored_rating(server, session["conversation_id"]) == 4


async def test_rating_that_never_reaches_the_server_says_so_and_can_be_given_again(
    page: Page, server: LiveServer, http: aiohttp.ClientSession
) -> None:
    chat = await resolved_with_rating_card(page, server, http)
    session = await chat.stored_session()

    async def network_down(route: Route) -> None:
        await route.abort("internetdisconnected")

    await page.route("**/csat", network_down)
    await page.click("#csat button[data-score='2']")
    await page.wait_for_selector("#csat [role=alert]", state="visible", timeout=WAIT_MS)
    assert (await page.text_content("#csat [role=alert]") or "").strip() == NOT_KEPT
    assert await page.is_hidden("#csat-thanks")
    assert await page.is_visible("#csat-scale")  # the buttons are back to try again
    assert await stored_rating(server, session["conversation_id"]) is None

    await page.unroute("**/csat", network_down)
    async with page.expect_response(lambda r: r.url.endswith("/csat")) as rated:
        await page.click("#csat button[data-score='2']")
    assert (await rated.value).status == 201
    await thanks_shown(page)
    assert await page.is_hidden("#csat [role=alert]")
    assert await stored_rating(server, session["conversation_id"]) == 2


async def test_a_later_resolution_of_the_same_case_is_offered_for_rating_again(
    page: Page, server: LiveServer, http: aiohttp.ClientSession
) -> None:
    chat = await resolved_with_rating_card(page, server, http)
    first_card = await SandboxAgent(http, server.url).find_card(await chat.case_ref())
    await page.click("#csat button[data-score='3']")
    await thanks_shown(page)

    await chat.say("It happened again, I want to talk to a person")
    await chat.wait_for_state("queued")
    assert await page.is_hidden("#csat")
    agent = SandboxAgent(http, server.url)
    card = await new_card(agent, await chat.case_ref(), after=first_card)
    await agent.click(card, "claim")
    await chat.wait_for_state("agent")
    await agent.click(card, "resolve")
    await chat.wait_for_state("resolved")
    await page.wait_for_selector("#csat-scale", state="visible", timeout=WAIT_MS)
    async with page.expect_response(lambda r: r.url.endswith("/csat")) as rated:
        await page.click("#csat button[data-score='5']")
    assert (await rated.value).status == 201
    await thanks_shown(page)
    assert await stored_rating(server, (await chat.stored_session())["conversation_id"]) == 5
