"""The chat's socket protocol under faults the network makes but a test server rarely
does, played by a Playwright WebSocket route between the page and the real server."""

from __future__ import annotations

import json

import aiohttp
import pytest
from playwright.async_api import Page, WebSocketRoute
from sqlmodel import col, delete

from bot import keys
from bot.store.models import Case, Message
from tests.browser.conftest import LiveServer
from tests.browser.drivers import Backend, ChatPage, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")


class SocketMiddle:
    """Stands between the page and /chat/ws; can lose the next ack, cut the line, and play a
    server that is down (every new socket is closed with 1001, as a stopping server does)."""

    def __init__(self) -> None:
        self.routes: list[WebSocketRoute] = []
        self.sent: list[dict[str, object]] = []
        self.lose_next_ack = False
        self.down = False
        self.refused = 0

    async def handle(self, route: WebSocketRoute) -> None:
        self.routes.append(route)
        if self.down:
            self.refused += 1
            await route.close(code=1001, reason="going away")
            return
        server = route.connect_to_server()

        def from_page(message: str | bytes) -> None:
            self.sent.append(json.loads(message))
            server.send(message)

        async def from_server(message: str | bytes) -> None:
            if self.lose_next_ack and json.loads(message).get("type") == "ack":
                # The server stored the message and acknowledged it; the line dies before
                # the ack arrives, so the page cannot know its message got through.
                self.lose_next_ack = False
                await server.close()
                await route.close(code=4000, reason="line cut")
                return
            route.send(message)

        route.on_message(from_page)
        server.on_message(from_server)


async def test_a_lost_ack_means_a_resend_that_lands_once(
    page: Page, server: LiveServer, http: aiohttp.ClientSession
) -> None:
    middle = SocketMiddle()
    await page.route_web_socket("**/chat/ws", middle.handle)
    chat = ChatPage(page, server.url)
    await chat.open()

    middle.lose_next_ack = True
    await chat.say("Did my message about the refund get through?")
    await eventually(lambda: _connections(middle, 2), what="the page to reconnect")

    async def acknowledged() -> bool:
        return not any(m.pending for m in await chat.messages())

    # Only the ack to the re-send settles it: the echo of the stored message may have
    # come through before the line was cut.
    await eventually(acknowledged, what="the re-sent message to be acknowledged")
    shown = await chat.wait_for("Did my message about the refund get through?", sender="user")

    posts = [f for f in middle.sent if f.get("type") == "message"]
    assert len(posts) == 2 and posts[0]["client_id"] == posts[1]["client_id"]  # re-sent
    texts = [m.text for m in await chat.messages()]
    assert texts.count("Did my message about the refund get through?") == 1
    stored = await Backend(http, server.url).messages(await chat.stored_session())
    mine = [m for m in stored if m["text"] == "Did my message about the refund get through?"]
    assert [m["seq"] for m in mine] == [shown.seq]  # stored once, shown with its seq
    # Both hellos resumed after what the page already had (the greeting came with the
    # POST that started the conversation), never from the start.
    hellos = [f for f in middle.sent if f.get("type") == "hello"]
    assert len(hellos) == 2 and 1 <= hellos[0]["after"] <= hellos[1]["after"]  # type: ignore[operator]


async def test_a_message_sent_while_reconnecting_tries_the_server_now(
    page: Page, server: LiveServer
) -> None:
    """The back-off grows to 30 s between tries; a person who writes during an outage that
    has just ended should not wait out the rest of it to be heard."""
    middle = SocketMiddle()
    await page.route_web_socket("**/chat/ws", middle.handle)
    await page.clock.install()
    chat = ChatPage(page, server.url)
    await chat.open()
    # From here the page's timers run only when the test moves its clock.
    await page.clock.pause_at(await page.evaluate("Date.now()") + 1000)

    middle.down = True
    await middle.routes[-1].close(code=1001, reason="going away")

    async def backed_off() -> bool:
        await page.clock.run_for(60_000)  # each retry is refused, and the next waits longer
        return middle.refused >= 5

    await eventually(backed_off, what="the page to back off after refused reconnects")
    assert "Reconnecting" in (await page.text_content("#status") or "")

    middle.down = False  # the server is back; the page's next try is many seconds away
    await chat.say("Are you still there? I need help")
    await chat.wait_for("Are you still there? I need help", sender="user")


async def test_agent_typing_is_shown_and_announced(page: Page, server: LiveServer) -> None:
    middle = SocketMiddle()
    await page.route_web_socket("**/chat/ws", middle.handle)
    chat = ChatPage(page, server.url)
    await chat.open()
    middle.routes[-1].send(json.dumps({"type": "typing", "author": "Alex"}))
    await page.wait_for_function(
        "document.getElementById('typing').textContent === 'Alex is typing…'"
    )
    assert await page.get_attribute("#typing", "aria-live") == "polite"
    # A frame type the page does not know is ignored, not an error.
    middle.routes[-1].send(json.dumps({"type": "something_new", "x": 1}))
    await chat.say("Still there?")
    await chat.wait_for("Still there?", sender="user")


async def _connections(middle: SocketMiddle, count: int) -> bool:
    return len(middle.routes) >= count


async def test_after_a_restore_that_lost_messages_the_page_shows_what_the_store_has(
    page: Page, server: LiveServer
) -> None:
    # A database failover lost the last commits: the page has shown messages the store no
    # longer has. Refused its resume point (after_invalid), it shows the conversation as
    # stored and carries on, rather than being refused again and again.
    chat = ChatPage(page, server.url)
    await chat.open()
    await chat.say("How do I change my password?")
    await chat.wait_for("How do I change my password?", sender="user")
    conversation_id = (await chat.stored_session())["conversation_id"]
    db = server.app[keys.DB]
    async with db.transaction() as session:
        await session.exec(  # type: ignore[call-overload]
            delete(Message).where(col(Message.case_id) == conversation_id, col(Message.seq) > 1)
        )
        case = await session.get(Case, conversation_id)
        assert case is not None
        case.last_seq = 1  # only the greeting survived
        session.add(case)

    server.drop_chat_sockets()

    async def only_the_greeting() -> bool:
        shown = await chat.messages()
        return [m.seq for m in shown] == [1]

    await eventually(only_the_greeting, what="the page to show the store's transcript")
    await chat.wait_connected()
    await chat.say("Hello again")
    answer = await chat.wait_for("Hello again", sender="user")
    assert answer.seq == 2
    await eventually(
        lambda: _has_bot_message_after(chat, 2), what="the bot's answer to the new message"
    )


async def _has_bot_message_after(chat: ChatPage, seq: int) -> bool:
    return any(m.sender == "bot" and (m.seq or 0) > seq for m in await chat.messages())
