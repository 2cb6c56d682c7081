"""The sandbox page in a real headless browser, under the app's strict CSP: it renders
cards and message text, and text that looks like HTML stays text.

Skipped where no Chromium is installed.
"""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_fake import SlackFake
from bot.slack_fake.sandbox import mount_sandbox
from tests.slack_fake.conftest import TOKEN

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium here")


MODAL = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Add a note"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "note",
            "label": {"type": "plain_text", "text": "Note <i>"},
            "element": {"type": "plain_text_input", "action_id": "text", "multiline": True},
        }
    ],
}


async def dump_dom(url: str) -> str:
    assert CHROMIUM is not None
    process = await asyncio.create_subprocess_exec(
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--virtual-time-budget=3000",
        "--dump-dom",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    return out.decode()


async def test_page_renders_cards_and_modals_and_keeps_html_as_text(
    aiohttp_server: Any, fake: SlackFake
) -> None:
    @web.middleware
    async def strict_csp(request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        response.headers["Content-Security-Policy"] = "default-src 'self'"
        return response

    app = web.Application(middlewares=[strict_csp])
    mount_sandbox(app, fake)
    server = await aiohttp_server(app)
    fake.echo_bot_messages = False
    client = AsyncWebClient(token=TOKEN, base_url=fake.base_url)
    await client.chat_postMessage(
        channel="support-billing",
        text="card",
        blocks=[
            {"type": "header", "text": {"type": "plain_text", "text": "Case C-1042"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "<b>not bold</b>"}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Claim"},
                        "action_id": "claim",
                    }
                ],
            },
        ],
    )
    await fake.post(user="U0AGENT2", channel="support-billing", text="<img src=x> @alex")
    # The page acts as the first person in its user list, who has a modal open.
    await client.views_open(trigger_id=fake._issue_trigger("U0AGENT1"), view=MODAL)

    # One browser run for everything: a page load costs about two seconds.
    dom = await dump_dom(str(server.make_url("/sandbox/")))

    assert "Case C-1042" in dom  # the script ran under the CSP and rendered the card
    assert ">Claim</button>" in dom
    assert "&lt;b&gt;not bold&lt;/b&gt;" in dom and "<b>not bold</b>" not in dom
    assert "&lt;img src=x&gt; @alex" in dom and "<img src" not in dom
    assert "#support-billing" in dom and "Sam Chen (@sam)" in dom

    assert '<dialog id="modal" aria-labelledby="modal-title" open="">' in dom
    assert ">Add a note</h2>" in dom and ">Save</button>" in dom
    assert ">Note &lt;i&gt;</label>" in dom
    assert 'data-block-id="note" data-action-id="text" data-kind="plain_text_input"' in dom
