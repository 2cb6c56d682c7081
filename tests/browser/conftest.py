"""The real app on 127.0.0.1 and Debian's headless Chromium driven by Playwright.

The browser tests are skipped (with the reason) only on a machine without
/usr/bin/chromium; in CI (`CI` set) a missing browser is a failure, never a skip.

One Chromium serves the whole run (starting it costs seconds); every test gets its own
app, database, browser context and page. So the tests and these fixtures share one event
loop: test modules here say `pytestmark = pytest.mark.asyncio(loop_scope="session")`.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import unused_port
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    async_playwright,
)

from bot import keys
from bot.app import create_app
from bot.conversation.engine import Engine
from bot.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}  # iPhone 12–15 CSS viewport


@dataclass
class LiveServer:
    """The app as `python -m bot` serves it, on a loopback port."""

    url: str
    app: web.Application
    chat_sockets: list[asyncio.BaseTransport] = field(default_factory=list)

    def drop_chat_sockets(self) -> int:
        """Cut every open /chat/ws connection at the TCP level, as a dead network would."""
        dropped = 0
        for transport in self.chat_sockets:
            if not transport.is_closing():
                transport.abort()  # type: ignore[attr-defined]
                dropped += 1
        self.chat_sockets.clear()
        return dropped


@functools.cache
def trained_engine(data_dir: Path | None, default_region: str) -> Engine:
    """One engine for the whole run: training it takes seconds and it keeps no state of its
    own (a conversation's state travels with the case), so every app can share it."""
    return Engine.load(data_dir=data_dir, default_region=default_region)


@pytest.fixture(scope="session")
def chromium() -> str:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests, but /usr/bin/chromium is missing")
        pytest.skip(
            "browser tests need Debian's Chromium at /usr/bin/chromium (apt install chromium)"
        )
    return str(CHROMIUM)


@pytest_asyncio.fixture(loop_scope="session")
async def server(settings: Settings) -> AsyncIterator[LiveServer]:
    app = create_app(settings, engine=trained_engine(settings.data_dir, settings.default_region))
    live = LiveServer(url="", app=app)

    async def remember_chat_socket(request: web.Request, response: web.StreamResponse) -> None:
        if request.path == "/chat/ws" and request.transport is not None:
            live.chat_sockets.append(request.transport)

    app.on_response_prepare.append(remember_chat_socket)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    port = unused_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    live.url = f"http://127.0.0.1:{port}"
    app[keys.SLACK_FAKE].events_url = f"{live.url}/slack/events"
    try:
        yield live
    finally:
        # An open chat socket would hold the shutdown for aiohttp's whole grace period.
        live.drop_chat_sockets()
        await runner.cleanup()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class PageWatch:
    """What the page did that a person would notice or a reviewer should see."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    async def on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()


@pytest_asyncio.fixture(loop_scope="session")
async def context(browser: Browser, server: LiveServer) -> AsyncIterator[BrowserContext]:
    # Depending on `server` makes the browser close first and the server stop after it.
    context = await browser.new_context(viewport=DESKTOP, locale="en-US")
    try:
        yield context
    finally:
        await context.close()


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest_asyncio.fixture(loop_scope="session")
async def page(context: BrowserContext, watch: PageWatch) -> AsyncIterator[Page]:
    page = await context.new_page()
    page.on("console", watch.on_console)
    page.on("pageerror", lambda error: watch.errors.append(str(error)))
    page.on("dialog", watch.on_dialog)
    yield page
    assert watch.errors == [], f"uncaught errors in the page: {watch.errors}"
    assert watch.csp_violations == [], f"the page broke its own CSP: {watch.csp_violations}"


@pytest_asyncio.fixture(loop_scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    # No keep-alive: the outage test cuts sockets, and a reused dead connection would fail
    # the test's own control calls rather than the chat.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        yield session


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
