"""The person's chat at /chat in headless Chromium, against the real app and the Slack
sandbox: hand-off and agent reply, a network outage, literal rendering of hostile text,
reload, keyboard use, the rating after resolve."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import BrowserContext, Page

from tests.browser.conftest import PHONE, LiveServer, PageWatch
from tests.browser.drivers import (
    Backend,
    ChatPage,
    SandboxAgent,
    contrast,
    eventually,
    reach_an_agent,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

XSS = "<img src=x onerror=alert(1)>"


async def test_agent_reply_appears_labelled_with_first_name(
    page: Page, server: LiveServer, http: aiohttp.ClientSession, artifacts: Path
) -> None:
    chat = ChatPage(page, server.url)
    await chat.open()
    greeting = (await chat.messages())[0]
    assert greeting.sender == "bot" and greeting.who == "Support assistant"

    agent = SandboxAgent(http, server.url, user="U0AGENT1")  # Alex Rivera in the sandbox
    card = await reach_an_agent(chat, agent)
    joined = await eventually(
        lambda: _first(chat, lambda m: m.sender == "system" and "joined" in m.text),
        what="the 'Alex has joined' line",
    )
    assert joined.who == "Update"
    assert joined.text.startswith("Alex ")

    await agent.reply(card, "Hi, I'm looking at the double charge now.")
    reply = await chat.wait_for("Hi, I'm looking at the double charge now.", sender="agent")
    # The first name from the profile ("Alex Rivera"): not the full name, handle or user id.
    assert reply.who == "Alex"
    assert f"{reply.who} from our support team" in (await page.text_content("#status") or "")
    # The queue promise came from the bot in the conversation itself.
    assert any("minutes" in m.text for m in await chat.messages() if m.sender == "bot")

    await page.screenshot(path=str(artifacts / "chat.png"))
    await page.set_viewport_size(PHONE)
    await page.screenshot(path=str(artifacts / "chat-phone.png"))
    # On a phone the composer is still on screen and nothing scrolls sideways.
    box = await page.locator("#input").bounding_box()
    assert box is not None and box["y"] + box["height"] <= PHONE["height"]
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


async def test_outage_sends_the_offline_message_once_and_missed_ones_in_order(
    page: Page,
    context: BrowserContext,
    server: LiveServer,
    http: aiohttp.ClientSession,
) -> None:
    chat = ChatPage(page, server.url)
    await chat.open()
    agent = SandboxAgent(http, server.url)
    card = await reach_an_agent(chat, agent)
    await agent.reply(card, "Before the outage.")
    await chat.wait_for("Before the outage.", sender="agent")

    # The browser learns it is offline (and closes its socket); the server's side of the
    # connection is cut too, in case the close had not reached it.
    await context.set_offline(True)
    server.drop_chat_sockets()
    await page.wait_for_selector("#chat[data-connection=offline]", state="attached")
    assert "offline" in (await page.text_content("#status") or "").lower()

    await chat.say("Typed while the network was down")
    waiting = await chat.wait_for("Typed while the network was down", sender="user", pending=True)
    assert waiting.pending and waiting.seq is None

    await agent.reply(card, "Outage reply one.")
    await agent.reply(card, "Outage reply two.")
    backend = Backend(http, server.url)
    session = await chat.stored_session()

    async def agent_replies_stored() -> bool:
        texts = [m["text"] for m in await backend.messages(session)]
        return "Outage reply two." in texts

    await eventually(agent_replies_stored, what="the agent's replies to reach the case")
    assert [m.text for m in await chat.messages() if m.sender == "agent"] == ["Before the outage."]

    await context.set_offline(False)
    await chat.wait_connected()
    await chat.wait_for("Outage reply two.", sender="agent")

    async def sent() -> bool:
        return not any(m.pending for m in await chat.messages())

    await eventually(sent, what="the offline message to be acknowledged")

    shown = await chat.messages()
    texts = [m.text for m in shown]
    for text in ("Typed while the network was down", "Outage reply one.", "Outage reply two."):
        assert texts.count(text) == 1, f"{text!r} shown {texts.count(text)} times: {texts}"
    assert texts.index("Outage reply one.") < texts.index("Outage reply two.")
    seqs = [m.seq for m in shown]
    assert None not in seqs and seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    # And the server took it exactly once.
    stored = [m["text"] for m in await backend.messages(session) if m["sender"] == "user"]
    assert stored.count("Typed while the network was down") == 1
    # The page's seqs are the server's: nothing missed, nothing invented.
    assert seqs == [m["seq"] for m in await backend.messages(session)]


async def test_hostile_agent_text_renders_literally(
    page: Page, server: LiveServer, http: aiohttp.ClientSession, watch: PageWatch
) -> None:
    chat = ChatPage(page, server.url)
    await chat.open()
    agent = SandboxAgent(http, server.url)
    card = await reach_an_agent(chat, agent)

    await agent.reply(card, XSS)
    shown = await chat.wait_for(XSS, sender="agent")
    assert shown.text == XSS
    await chat.say(f"you wrote {XSS}")
    await chat.wait_for(f"you wrote {XSS}", sender="user")
    assert await page.locator("#messages img").count() == 0
    assert await page.locator("img").count() == 0
    assert watch.dialogs == []


async def test_reload_keeps_the_conversation(page: Page, server: LiveServer) -> None:
    chat = ChatPage(page, server.url)
    await chat.open()
    await chat.say("My video session dropped twice today")
    await chat.wait_for("My video session dropped twice today", sender="user")
    before_session = await chat.stored_session()

    async def settled() -> list[tuple[int | None, str]] | None:
        shown = await chat.messages()
        return [(m.seq, m.text) for m in shown] if shown[-1].sender == "bot" else None

    before = await eventually(settled, what="the bot's answer")

    await page.reload()
    await chat.wait_connected()

    async def restored() -> list[tuple[int | None, str]] | None:
        shown = [(m.seq, m.text) for m in await chat.messages()]
        return shown if len(shown) >= len(before) else None

    assert await eventually(restored, what="the history after reload") == before
    after_session = await chat.stored_session()
    assert after_session["conversation_id"] == before_session["conversation_id"]

    await chat.say("It happened again just now")
    again = await chat.wait_for("It happened again just now", sender="user")
    assert again.seq is not None and again.seq > max(seq for seq, _ in before if seq)


async def test_keyboard_only(page: Page, server: LiveServer) -> None:
    chat = ChatPage(page, server.url)
    await chat.open()
    for _ in range(6):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id") == "input":
            break
    assert await page.evaluate("document.activeElement.id") == "input"

    await page.keyboard.type("I can't log in to my account")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("since yesterday")
    await page.keyboard.press("Enter")
    sent = await chat.wait_for("I can't log in to my account\nsince yesterday", sender="user")
    assert sent.who == "You"
    assert await page.input_value("#input") == ""
    # The send button is the next stop: Tab reaches it, and it is a real button.
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "send"


async def test_a_paste_over_the_limit_is_kept_whole_and_explained(
    page: Page, server: LiveServer
) -> None:
    chat = ChatPage(page, server.url)
    await chat.open()
    # What matters most is often at the end of a long message.
    pasted = "My therapist never joined and I was charged anyway. " * 80 + "I can't go on."
    assert len(pasted) > 4000
    await page.focus("#input")
    await page.keyboard.insert_text(pasted)  # one insertion, as a paste is
    assert await page.input_value("#input") == pasted  # nothing cut off without a word
    assert "4,000" in (await page.text_content("#notice") or "")
    assert await page.is_visible("#notice")

    await page.keyboard.press("Enter")
    assert await page.input_value("#input") == pasted
    assert [m.sender for m in await chat.messages()] == ["bot"]  # nothing sent cut short

    # The limit is the server's: 4,000 characters, however many UTF-16 units they take.
    crying = "\U0001f62d" * 4000
    await page.fill("#input", "")
    await page.keyboard.insert_text(crying)
    assert await page.input_value("#input") == crying
    assert await page.is_hidden("#notice")
    await page.keyboard.press("Enter")
    await chat.wait_for(crying, sender="user")


async def test_rating_after_resolve_goes_to_its_endpoint_not_the_chat(
    page: Page, server: LiveServer, http: aiohttp.ClientSession
) -> None:
    chat = ChatPage(page, server.url)
    await chat.open()
    agent = SandboxAgent(http, server.url)
    card = await reach_an_agent(chat, agent)
    assert await page.is_hidden("#csat")

    await agent.click(card, "resolve")
    await chat.wait_for_state("resolved")
    await page.wait_for_selector("#csat", state="visible")
    assert await page.text_content("#csat-question") == "How did we do?"
    labels = await page.eval_on_selector_all(
        "#csat button", "buttons => buttons.map(b => b.getAttribute('aria-label'))"
    )
    assert labels == [f"{n} out of 5" for n in range(1, 6)]
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda frame: frames.append(str(frame))))

    await page.focus("#csat button[data-score='4']")
    async with page.expect_response(lambda r: r.url.endswith("/csat")) as rated:
        await page.keyboard.press("Enter")
    response = await rated.value
    assert response.request.method == "POST"
    assert response.request.post_data_json == {"score": 4}
    assert response.status == 201
    await page.wait_for_selector("#csat-thanks", state="visible")
    assert (await page.text_content("#csat-thanks") or "").strip() == "Thank you for telling us."
    assert await page.evaluate("document.activeElement.id") == "csat-thanks"
    # Nothing went to the conversation: no "CSAT: 4" message for the agent to read.
    backend = Backend(http, server.url)
    stored = await backend.messages(await chat.stored_session())
    assert not any("4" == m["text"].strip() or "CSAT" in m["text"] for m in stored)
    assert frames == []
    # The server has it: a second rating of the same resolution is refused.
    session = await chat.stored_session()
    async with http.post(
        f"{server.url}/api/v1/conversations/{session['conversation_id']}/csat",
        json={"score": 5},
        headers={"Authorization": f"Bearer {session['token']}"},
    ) as again:
        assert again.status == 409
        assert (await again.json())["error"]["code"] == "csat_already"

    await page.reload()
    await chat.wait_connected()
    await chat.wait_for_state("resolved")
    assert await page.is_hidden("#csat")  # asked once per resolution


async def test_expired_token_starts_a_new_conversation(page: Page, server: LiveServer) -> None:
    chat = ChatPage(page, server.url)
    await chat.open()
    first = await chat.stored_session()
    await page.evaluate(
        """() => {
          const stored = JSON.parse(sessionStorage.getItem('supportbot.chat.v1'));
          stored.token = 'forged.token';
          sessionStorage.setItem('supportbot.chat.v1', JSON.stringify(stored));
        }"""
    )
    await page.reload()
    await chat.wait_connected()
    second = await chat.stored_session()
    assert second["conversation_id"] != first["conversation_id"]
    assert "new one" in (await page.text_content("#notice") or "")
    assert [m.sender for m in await chat.messages()] == ["bot"]  # a fresh greeting, once


async def test_swedish_and_accent_from_the_url(page: Page, server: LiveServer) -> None:
    chat = ChatPage(page, server.url)
    await chat.open("?locale=sv-SE&accent=%23ffcc00")
    assert await page.get_attribute("html", "lang") == "sv"
    assert await page.text_content("#send") == "Skicka"
    assert await page.get_attribute("#input", "placeholder") == "Skriv ditt meddelande…"
    accent = await page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()"
    )
    assert accent == "#ffcc00"
    # A light accent gets dark text, so the send button stays readable.
    colour = await page.evaluate("getComputedStyle(document.getElementById('send')).color")
    assert colour == "rgb(20, 24, 27)"


async def test_a_mid_tone_accent_gets_the_text_colour_that_reads_best(
    page: Page, server: LiveServer
) -> None:
    chat = ChatPage(page, server.url)
    await chat.open("?accent=%233b82f6")  # a common brand blue, between dark and light
    await chat.say("I was charged twice")
    await chat.wait_for("I was charged twice", sender="user")
    # Text on the accent, each against the background it is drawn on (WCAG 1.4.3: 4.5:1).
    for text, drawn_on in (
        ("#send", "#send"),
        (".chat__title", ".chat__header"),
        ("#messages > li.msg--user .msg__text", "#messages > li.msg--user .msg__text"),
    ):
        colour = await page.eval_on_selector(text, "e => getComputedStyle(e).color")
        background = await page.eval_on_selector(
            drawn_on, "e => getComputedStyle(e).backgroundColor"
        )
        assert background == "rgb(59, 130, 246)"
        assert contrast(colour, background) >= 4.5, f"{text}: {colour} on {background}"


async def _first(chat: ChatPage, matches):  # type: ignore[no-untyped-def]
    for message in await chat.messages():
        if matches(message):
            return message
    return None
