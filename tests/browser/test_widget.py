"""/widget.js on a host page of another site, under the host's own strict CSP.

The server currently sends `frame-ancestors 'none'` on every response, which forbids any
embedding; these tests have the server send, for /chat?embed=1 only, the policy the
widget needs (`frame-ancestors <host origin>`), as the server is asked to."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import unused_port
from playwright.async_api import Page

from bot import keys
from bot.identity import user_hash
from bot.settings import Settings
from tests.browser.conftest import PHONE, LiveServer
from tests.browser.drivers import contrast, eventually

pytestmark = pytest.mark.asyncio(loop_scope="session")

HOST_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Your therapy space</title></head>
<body><h1>Your therapy space</h1><p><a href="#">Upcoming session</a></p>
<script src="{chat}/widget.js" async {locale}data-accent="{accent}"
        data-user-id="user-42" data-user-hash="{user_hash}"></script>
</body></html>"""
IDENTITY_SECRET = "widget-test-identity-secret-0123456789abcdef"
USER_HASH = user_hash("user-42", secret=IDENTITY_SECRET)
# What a browser that blocks third-party storage does to the chat's iframe on another site.
DENY_IFRAME_STORAGE = """
if (window !== window.top && location.pathname === "/chat") {
  Object.defineProperty(window, "sessionStorage", {
    get() { throw new DOMException("Access is denied for this document.", "SecurityError"); },
  });
}
"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings, with identity verification configured as a platform would."""
    return settings.model_copy(update={"identity_secret": IDENTITY_SECRET})


@pytest_asyncio.fixture(loop_scope="session")
async def host_page(server: LiveServer) -> AsyncIterator[str]:
    """The platform's web app: another origin (another port) with a strict CSP of its own.

    (Not another site such as localhost: Chromium's local-network-access checks would then
    block the loopback socket, which no real deployment meets; third-party storage
    blocking is simulated instead.)"""
    port = unused_port()
    host = f"http://127.0.0.1:{port}"
    policy = (
        f"default-src 'self'; script-src 'self' {server.url}; frame-src {server.url}; "
        "style-src 'self'; img-src 'self'"
    )

    async def page(request: web.Request) -> web.Response:
        claimed = request.query.get("hash", USER_HASH)  # ?hash=… plays a misconfigured host
        assert re.fullmatch("[0-9a-f]*", claimed)
        accent = request.query.get("accent", "#2c4a52")  # ?accent=… the platform's brand
        assert re.fullmatch("#[0-9a-f]{6}", accent)
        # ?lang=… a page in that language that forces no locale on the chat
        lang = request.query.get("lang")
        assert lang is None or re.fullmatch("[a-z]{2}", lang)
        body = HOST_PAGE.format(
            chat=server.url,
            user_hash=claimed,
            accent=accent,
            lang=lang or "en",
            locale="" if lang else 'data-locale="en" ',
        )
        return web.Response(
            text=body, content_type="text/html", headers={"Content-Security-Policy": policy}
        )

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield host
    finally:
        await runner.cleanup()


def allow_framing_by(server: LiveServer, host: str) -> None:
    """The platform's origin goes in EMBED_ORIGINS (read per request by the middleware)."""
    server.app[keys.SETTINGS].embed_origins = [host]


async def test_widget_opens_the_chat_in_an_iframe(
    page: Page, server: LiveServer, host_page: str, artifacts: Path
) -> None:
    allow_framing_by(server, host_page)
    started: list[dict[str, str]] = []
    page.on(
        "request",
        lambda request: (
            started.append(json.loads(request.post_data or "{}"))
            if request.url.endswith("/api/v1/conversations")
            else None
        ),
    )
    await page.goto(host_page)
    launcher = page.locator("#supportbot-launcher")
    await launcher.wait_for()
    assert await launcher.text_content() == "Chat with support"
    assert await launcher.get_attribute("aria-expanded") == "false"
    # Styled through the CSSOM, so the host page's strict style-src does not undo it.
    assert await launcher.evaluate("b => getComputedStyle(b).position") == "fixed"
    # Nothing is started for a page view: the iframe (and a conversation) come on first open.
    assert await page.locator("iframe").count() == 0
    assert started == []

    await launcher.click()
    frame_element = page.locator("#supportbot-chat-frame")
    await frame_element.wait_for()
    src = await frame_element.get_attribute("src") or ""
    assert src.startswith(f"{server.url}/chat?embed=1&locale=en&accent=%232c4a52#host=")
    assert await frame_element.get_attribute("title") == "Support chat"
    assert await launcher.get_attribute("aria-expanded") == "true"

    chat = page.frame_locator("#supportbot-chat-frame")
    await chat.locator("#chat[data-connection=open]").wait_for(state="attached")
    greeting = chat.locator("#messages > li.msg--bot .msg__text").first
    assert "support assistant" in (await greeting.text_content() or "")
    assert await chat.locator("#close").is_visible()
    # The person's identity went to the server in the request body, not in a URL.
    assert started == [{"locale": "en", "user_id": "user-42", "user_hash": USER_HASH}]
    frame = next(f for f in page.frames if f.url.startswith(f"{server.url}/chat"))
    assert "#" not in frame.url and "user-42" not in frame.url

    await chat.locator("#input").fill("Where can I see my invoices?")
    await chat.locator("#input").press("Enter")

    async def answered() -> bool:
        return await chat.locator("#messages > li.msg--bot").count() >= 2

    await eventually(answered, what="the bot's answer inside the widget")
    await page.screenshot(path=str(artifacts / "widget.png"))

    # The chat's own close button (or Escape) closes the panel and gives focus back.
    await chat.locator("#close").click()
    await eventually(
        lambda: frame_element.evaluate("f => getComputedStyle(f).display === 'none'"),
        what="the panel to close",
    )
    assert await page.evaluate("document.activeElement.id") == "supportbot-launcher"
    assert await launcher.get_attribute("aria-expanded") == "false"

    # Reopening shows the same conversation: the iframe lives on while closed.
    await launcher.press("Enter")
    await eventually(
        lambda: frame_element.evaluate("f => getComputedStyle(f).display === 'block'"),
        what="the panel to reopen",
    )
    texts = await chat.locator("#messages .msg__text").all_text_contents()
    assert "Where can I see my invoices?" in texts
    await chat.locator("#input").press("Escape")
    await eventually(
        lambda: frame_element.evaluate("f => getComputedStyle(f).display === 'none'"),
        what="Escape to close the panel",
    )


async def test_widget_fills_a_phone_screen(
    page: Page, server: LiveServer, host_page: str, artifacts: Path
) -> None:
    allow_framing_by(server, host_page)
    await page.set_viewport_size(PHONE)
    await page.goto(host_page)
    await page.locator("#supportbot-launcher").click()
    chat = page.frame_locator("#supportbot-chat-frame")
    await chat.locator("#chat[data-connection=open]").wait_for(state="attached")
    box = await page.locator("#supportbot-chat-frame").bounding_box()
    assert box == {"x": 0, "y": 0, "width": PHONE["width"], "height": PHONE["height"]}
    # The launcher would cover the composer; the chat's own close button replaces it.
    assert await page.locator("#supportbot-launcher").is_hidden()
    await page.screenshot(path=str(artifacts / "widget-phone.png"))


async def test_widget_launcher_text_reads_on_a_mid_tone_accent(
    page: Page, server: LiveServer, host_page: str
) -> None:
    await page.goto(f"{host_page}/?accent=%23e67e22")  # an orange, between dark and light
    launcher = page.locator("#supportbot-launcher")
    await launcher.wait_for()
    colour, background = await launcher.evaluate(
        "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
    )
    assert background == "rgb(230, 126, 34)"
    assert contrast(colour, background) >= 4.5, f"{colour} on {background}"


async def open_widget(page: Page) -> None:
    await page.locator("#supportbot-launcher").click()
    chat = page.frame_locator("#supportbot-chat-frame")
    await chat.locator("#chat[data-connection=open]").wait_for(state="attached")


async def say_in_widget(page: Page, text: str) -> None:
    chat = page.frame_locator("#supportbot-chat-frame")
    await chat.locator("#input").fill(text)
    await chat.locator("#input").press("Enter")

    async def delivered() -> bool:
        sent = chat.locator("#messages > li.msg--user[data-seq] .msg__text", has_text=text)
        return await sent.count() == 1

    await eventually(delivered, what=f"{text!r} to be delivered in the widget")


async def test_widget_keeps_the_conversation_across_host_pages_without_iframe_storage(
    page: Page, server: LiveServer, host_page: str
) -> None:
    allow_framing_by(server, host_page)
    await page.add_init_script(DENY_IFRAME_STORAGE)
    await page.goto(host_page)
    await open_widget(page)
    await say_in_widget(page, "My therapist didn't join the video session")
    kept = await page.evaluate("() => JSON.parse(sessionStorage.getItem('supportbot.chat.v1'))")
    assert kept["conversation_id"] and kept["token"]

    await page.goto(host_page)  # the person moves to another page of the platform
    await open_widget(page)
    chat = page.frame_locator("#supportbot-chat-frame")
    texts = await chat.locator("#messages .msg__text").all_text_contents()
    assert texts.count("My therapist didn't join the video session") == 1
    again = await page.evaluate("() => JSON.parse(sessionStorage.getItem('supportbot.chat.v1'))")
    assert again["conversation_id"] == kept["conversation_id"]


async def test_widget_with_a_bad_identity_hash_still_opens_an_anonymous_chat(
    page: Page, server: LiveServer, host_page: str
) -> None:
    allow_framing_by(server, host_page)
    bodies: list[dict[str, str]] = []
    page.on(
        "request",
        lambda request: (
            bodies.append(json.loads(request.post_data or "{}"))
            if request.url.endswith("/api/v1/conversations")
            else None
        ),
    )
    await page.goto(f"{host_page}/?hash={'0' * 64}")
    await open_widget(page)
    await say_in_widget(page, "I need help with a refund")
    assert bodies == [
        {"locale": "en", "user_id": "user-42", "user_hash": "0" * 64},
        {"locale": "en"},
    ]


async def test_escape_leaves_the_panel_open_while_composing_or_once_handled(
    page: Page, server: LiveServer, host_page: str
) -> None:
    allow_framing_by(server, host_page)
    await page.goto(host_page)
    await open_widget(page)
    panel = page.locator("#supportbot-chat-frame")
    # What the chat asks of the host page, in the order it asks.
    await page.evaluate(
        """() => {
          window.heard = [];
          window.addEventListener('message', event => window.heard.push(event.data.type));
        }"""
    )
    frame = next(f for f in page.frames if f.url.startswith(f"{server.url}/chat"))
    await frame.evaluate(
        """() => {
          const input = document.getElementById('input');
          input.focus();
          // Escape that cancels an input method's candidate (Japanese, Chinese, ...).
          input.dispatchEvent(new KeyboardEvent('keydown',
            {key: 'Escape', isComposing: true, bubbles: true, cancelable: true}));
          // Escape that something on the page has already handled.
          input.addEventListener('keydown', event => event.preventDefault(), {once: true});
          input.dispatchEvent(new KeyboardEvent('keydown',
            {key: 'Escape', bubbles: true, cancelable: true}));
          // Posted after anything those two would have posted, so it arrives after it.
          window.parent.postMessage({type: 'test:done'}, '*');
        }"""
    )
    await eventually(
        lambda: page.evaluate("() => window.heard.includes('test:done')"),
        what="the chat's marker message",
    )
    assert "supportbot:close" not in await page.evaluate("() => window.heard")
    assert await panel.evaluate("f => getComputedStyle(f).display") == "block"

    # A plain Escape still closes it.
    await page.frame_locator("#supportbot-chat-frame").locator("#input").press("Escape")
    await eventually(
        lambda: panel.evaluate("f => getComputedStyle(f).display === 'none'"),
        what="Escape to close the panel",
    )


async def test_a_page_in_swedish_opens_the_chat_in_swedish(
    page: Page, server: LiveServer, host_page: str
) -> None:
    """No locale forced by the platform: the chat's own words and its greeting follow the
    page's <html lang>, as the launcher's do; what the person writes still decides the
    language of the answers."""
    allow_framing_by(server, host_page)
    started: list[dict[str, str]] = []
    page.on(
        "request",
        lambda request: (
            started.append(json.loads(request.post_data or "{}"))
            if request.url.endswith("/api/v1/conversations")
            else None
        ),
    )
    await page.goto(f"{host_page}/?lang=sv")
    launcher = page.locator("#supportbot-launcher")
    await launcher.wait_for()
    assert await launcher.text_content() == "Chatta med supporten"
    await launcher.click()
    chat = page.frame_locator("#supportbot-chat-frame")
    await chat.locator("#chat[data-connection=open]").wait_for(state="attached")
    greeting = chat.locator("#messages > li.msg--bot .msg__text").first
    assert (await greeting.text_content() or "").startswith("Hej, jag är supportassistenten")
    assert await chat.locator("html").get_attribute("lang") == "sv"
    assert [body.get("page_locale") for body in started] == ["sv"]
    assert "locale" not in started[0]
