"""A crisis reply on a phone: its numbers are links to tap (the dialler, the messages app,
a web page in a new tab), and they stay in reach above the composer however far the
conversation scrolls, across a reload. Only tel:, sms: and https: links from the bot's own
messages are ever made links."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Page, WebSocketRoute

from tests.browser.conftest import LiveServer
from tests.browser.drivers import Backend, ChatPage, contrast, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

SMALL_PHONE = {"width": 360, "height": 640}
US_LINKS = [
    ("988", "tel:988"),
    ("741741", "sms:741741?&body=HOME"),
    ("911", "tel:911"),
]
SE_LINKS = [("90101", "tel:90101"), ("mind.se", "https://mind.se"), ("112", "tel:112")]

READ_LINKS = """nodes => nodes.map(a => ({
  text: a.textContent, href: a.getAttribute('href'),
  target: a.getAttribute('target'), rel: a.getAttribute('rel'),
}))"""


async def links(page: Page, selector: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await page.eval_on_selector_all(f"{selector} a", READ_LINKS)
    return found


async def crisis_bubble(chat: ChatPage, number: str) -> str:
    """The selector of the bot's message that gives `number`, once it is shown."""

    async def shown() -> int | None:
        for message in await chat.messages():
            if message.sender == "bot" and number in message.text and message.seq:
                return message.seq
        return None

    seq = await eventually(shown, what=f"the crisis reply with {number}")
    return f"#messages > li[data-seq='{seq}'] .msg__text"


async def test_a_crisis_reply_gives_numbers_to_tap_that_stay_in_reach(
    page: Page, server: LiveServer, http: aiohttp.ClientSession, artifacts: Path
) -> None:
    await page.set_viewport_size(SMALL_PHONE)
    chat = ChatPage(page, server.url)
    await chat.open()
    assert await page.text_content("#crisis-help") == ""  # nothing before it is needed

    await chat.say("I want to kill myself tonight")
    bubble = await crisis_bubble(chat, "988")
    assert [(a["text"], a["href"]) for a in await links(page, bubble)] == US_LINKS
    # Dialler and messages app open in place: no new tab.
    assert all(a["target"] is None for a in await links(page, bubble))
    # The words are the server's, unchanged: the links are only wrapped around them.
    stored = await Backend(http, server.url).messages(await chat.stored_session())
    reply = next(m for m in stored if m["sender"] == "bot" and "988" in m["text"])
    assert await page.text_content(bubble) == reply["text"]

    help_line = page.locator("#crisis-help")
    await help_line.wait_for(state="visible")
    assert await help_line.text_content() == "Crisis help: 988 · 741741 · 911"
    assert [(a["text"], a["href"]) for a in await links(page, "#crisis-help")] == US_LINKS
    assert await help_line.get_attribute("aria-live") == "polite"
    await page.screenshot(path=str(artifacts / "crisis-phone.png"))

    # Announced once: the live region is not touched again as the conversation goes on.
    await page.evaluate(
        """() => {
          window.helpChanges = 0;
          new MutationObserver(records => { window.helpChanges += records.length; })
            .observe(document.getElementById('crisis-help'),
                     {childList: true, subtree: true, characterData: true, attributes: true});
        }"""
    )
    for text in ("are you still there", "I don't know what to do", "please be quick"):
        await chat.say(text)
        await chat.wait_for(text, sender="user")

    async def answered() -> bool:
        return (await chat.messages())[-1].sender == "bot"

    await eventually(answered, what="the bot to answer the last message")
    await page.screenshot(path=str(artifacts / "crisis-phone-later.png"))
    # A dropped connection: the page reconnects and the line stays as it was.
    assert server.drop_chat_sockets() >= 1
    await eventually(
        lambda: page.evaluate("document.getElementById('chat').dataset.connection !== 'open'"),
        what="the page to notice the dropped connection",
    )
    await chat.wait_connected()
    assert await page.evaluate("window.helpChanges") == 0
    # Still on screen, whole, on a 360 x 640 phone, with nothing scrolling sideways.
    box = await help_line.bounding_box()
    assert box is not None
    assert box["y"] >= 0 and box["y"] + box["height"] <= SMALL_PHONE["height"]
    assert box["height"] < 80  # compact: one line, or two at most
    assert await page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"]
    for a in await help_line.locator("a").all():
        target = await a.bounding_box()
        assert target is not None and target["height"] >= 24  # WCAG 2.5.8 target size
        assert target["x"] >= 0 and target["x"] + target["width"] <= SMALL_PHONE["width"]
    # Readable: the text and the links against the line's own background.
    background = await help_line.evaluate("e => getComputedStyle(e).backgroundColor")
    for part in ("#crisis-help", "#crisis-help a"):
        colour = await page.eval_on_selector(part, "e => getComputedStyle(e).color")
        assert contrast(colour, background) >= 4.5, f"{part}: {colour} on {background}"

    # Reachable by keyboard: back from the message box, the numbers come first.
    await page.focus("#input")
    await page.keyboard.press("Shift+Tab")
    focused = await page.evaluate(
        "() => [document.activeElement.closest('#crisis-help') !== null,"
        " document.activeElement.getAttribute('href')]"
    )
    assert focused == [True, "tel:911"]

    await page.reload()
    await chat.wait_connected()
    await help_line.wait_for(state="visible")
    assert [(a["text"], a["href"]) for a in await links(page, "#crisis-help")] == US_LINKS
    bubble = await crisis_bubble(chat, "988")
    assert [(a["text"], a["href"]) for a in await links(page, bubble)] == US_LINKS


async def test_in_swedish_the_help_line_is_swedish_and_the_site_opens_in_a_new_tab(
    page: Page, server: LiveServer
) -> None:
    await page.set_viewport_size(SMALL_PHONE)
    chat = ChatPage(page, server.url)
    await chat.open("?locale=sv-SE")
    await chat.say("Jag vill ta mitt liv i kväll")
    bubble = await crisis_bubble(chat, "90101")
    for where in (bubble, "#crisis-help"):
        found = await links(page, where)
        assert [(a["text"], a["href"]) for a in found] == SE_LINKS
        site = next(a for a in found if a["href"].startswith("https:"))
        assert site["target"] == "_blank" and site["rel"] == "noopener noreferrer"
        assert all(a["target"] is None for a in found if a is not site)
    assert await page.text_content("#crisis-help") == "Krishjälp: 90101 · mind.se · 112"


def tampered(frame: str | bytes) -> str | bytes:
    """The server's frame with links the server would never send, to test the page."""
    data = json.loads(frame)
    message = data.get("message") if data.get("type") == "message" else None
    if message:
        words = message["text"].split()
        if message["sender"] == "bot" and len(set(words[:4])) == 4:
            message["links"] = [
                {"text": words[0], "href": "javascript:alert(document.domain)"},
                {"text": words[1], "href": "http://example.org/"},
                {"text": words[2], "href": " data:text/html,<script>alert(1)</script>"},
                {"text": words[3], "href": "https://example.org/"},
            ]
        else:
            message["links"] = [{"text": words[0], "href": "tel:123"}]
    return json.dumps(data)


async def test_only_safe_links_in_the_bots_messages_become_links(
    page: Page, server: LiveServer
) -> None:
    def route(ws: WebSocketRoute) -> None:
        to_server = ws.connect_to_server()
        ws.on_message(to_server.send)
        to_server.on_message(lambda frame: ws.send(tampered(frame)))

    await page.route_web_socket("**/chat/ws", route)
    chat = ChatPage(page, server.url)
    await chat.open()
    await chat.say("My invoice shows the wrong amount")
    await chat.wait_for("My invoice shows the wrong amount", sender="user")

    async def answer() -> str | None:
        shown = await chat.messages()
        return f"#messages > li[data-seq='{shown[-1].seq}']" if shown[-1].sender == "bot" else None

    bubble = await eventually(answer, what="the bot's answer")
    found = await links(page, bubble)
    assert [(a["href"], a["target"]) for a in found] == [("https://example.org/", "_blank")]
    # A reload replays the person's own message from the socket: links on it are ignored.
    await page.reload()
    await chat.wait_connected()
    await chat.wait_for("My invoice shows the wrong amount", sender="user")
    assert await page.locator("#messages li.msg--user a").count() == 0
    assert (
        await page.locator("a[href^='javascript'], a[href^='http:'], a[href*='data:']").count() == 0
    )
