"""The sandbox page and its control API, mounted the way the app mounts it."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_fake import SlackFake
from bot.slack_fake.sandbox import mount_sandbox
from tests.slack_fake.conftest import TOKEN, Receiver

CSP = "default-src 'self'"


@pytest.fixture
async def page(aiohttp_client: Any, fake: SlackFake) -> TestClient:
    @web.middleware
    async def strict_csp(request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        response.headers["Content-Security-Policy"] = CSP
        return response

    app = web.Application(middlewares=[strict_csp])
    mount_sandbox(app, fake)
    client: TestClient = await aiohttp_client(app)
    return client


class InlineFinder(HTMLParser):
    """Everything a `default-src 'self'` policy would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        values = dict(attrs)
        if "style" in names:
            self.problems.append(f"style attribute on <{tag}>")
        self.problems += [f"{n} handler on <{tag}>" for n in names if n.startswith("on")]
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            if not values.get("src"):
                self.problems.append("inline <script>")
            else:
                self.scripts.append(str(values["src"]))
            self._in_script = True
        if tag == "link" and values.get("rel") == "stylesheet":
            self.styles.append(str(values["href"]))
        for name in ("src", "href"):
            value = values.get(name) or ""
            if value.startswith(("http:", "https:", "//")):
                self.problems.append(f"third-party {name}={value}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline script content")


async def test_page_has_no_inline_script_or_style(page: TestClient) -> None:
    redirect = await page.get("/sandbox", allow_redirects=False)
    assert redirect.status == 302 and redirect.headers["Location"] == "/sandbox/"
    response = await page.get("/sandbox/")
    assert response.status == 200
    assert response.content_type == "text/html"
    html = await response.text()
    finder = InlineFinder()
    finder.feed(html)
    assert finder.problems == []
    assert finder.scripts == ["static/sandbox.js"] and finder.styles == ["static/sandbox.css"]
    js = await page.get("/sandbox/static/sandbox.js")
    assert js.status == 200 and js.content_type == "application/javascript"
    css = await page.get("/sandbox/static/sandbox.css")
    assert css.status == 200 and css.content_type == "text/css"
    missing = await page.get("/sandbox/static/../server.py")
    assert missing.status == 404


async def test_script_renders_text_with_textcontent_only(page: TestClient) -> None:
    js = await (await page.get("/sandbox/static/sandbox.js")).text()
    assert "textContent" in js
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(", js)
    assert not re.search(r"https?://", js)  # nothing third-party, no hard-coded hosts


async def test_api_returns_message_text_verbatim(page: TestClient, fake: SlackFake) -> None:
    text = "<b>not bold</b> & <script>alert(1)</script>"
    client = AsyncWebClient(token=TOKEN, base_url=fake.base_url)
    await client.chat_postMessage(channel="support-billing", text=text)
    await fake.post(user="U0AGENT1", channel="support-billing", text="a <b> & @channel")
    response = await page.get("/sandbox/api/messages", params={"channel": "support-billing"})
    assert response.status == 200
    bot, person = (await response.json())["messages"]
    assert bot["text"] == text and bot["bot_id"] == "BBOT0001"
    # What a person types reaches the app (and the page) in Slack's escaped wire form.
    assert person["text"] == "a &lt;b&gt; &amp; <!channel>"
    assert person["user"] == "U0AGENT1" and person["bot_id"] is None


async def test_channels_and_users(page: TestClient, fake: SlackFake) -> None:
    channels = (await (await page.get("/sandbox/api/channels")).json())["channels"]
    assert {c["name"] for c in channels} == {"support-billing", "support-crisis"}
    assert all(c["id"] == fake.channel_id(c["name"]) for c in channels)
    users = (await (await page.get("/sandbox/api/users")).json())["users"]
    assert {"id": "U0AGENT1", "name": "alex", "real_name": "Alex Rivera"} in users
    assert all(u["id"] != "UBOT0001" for u in users)  # only people to act as


async def test_unknown_channel_is_a_json_404(page: TestClient) -> None:
    response = await page.get("/sandbox/api/messages", params={"channel": "nope"})
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "channel_not_found"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/sandbox/api/post", {"user": "U0AGENT1", "channel": "support-billing"}),
        ("/sandbox/api/post", {"user": "U0NOBODY", "channel": "support-billing", "text": "x"}),
        ("/sandbox/api/post", ["not", "an", "object"]),
        ("/sandbox/api/click", {"user": "U0AGENT1", "channel": "support-billing", "ts": "1.0"}),
        ("/sandbox/api/command", {"user": "U0AGENT1", "channel": "support-billing"}),
    ],
)
async def test_bad_input_is_a_json_400(
    page: TestClient, fake: SlackFake, path: str, body: Any
) -> None:
    response = await page.post(path, json=body)
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["code"] and error["message"]
    assert fake.messages("support-billing") == []


async def test_post_in_a_thread_reaches_the_app(
    page: TestClient, fake: SlackFake, receiver: Receiver
) -> None:
    fake.echo_bot_messages = False
    client = AsyncWebClient(token=TOKEN, base_url=fake.base_url)
    card = await client.chat_postMessage(channel="support-billing", text="card")
    response = await page.post(
        "/sandbox/api/post",
        json={
            "user": "U0AGENT2",
            "channel": "support-billing",
            "thread_ts": card["ts"],
            "text": "Hi, I'm Sam",
        },
    )
    assert response.status == 200
    assert (await response.json())["status"] == 200
    event = receiver.of_kind("event")[-1].body["event"]
    assert (event["user"], event["text"], event["thread_ts"]) == (
        "U0AGENT2",
        "Hi, I'm Sam",
        card["ts"],
    )
    assert [m["text"] for m in fake.thread("support-billing", card["ts"])] == ["Hi, I'm Sam"]


async def test_click_and_command_through_the_control_api(
    page: TestClient, fake: SlackFake, receiver: Receiver
) -> None:
    fake.echo_bot_messages = False
    receiver.answer = {"text": "Case C-7: unclaimed"}
    client = AsyncWebClient(token=TOKEN, base_url=fake.base_url)
    blocks = [
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Claim"},
                    "action_id": "claim",
                    "value": "C-7",
                }
            ],
        }
    ]
    card = await client.chat_postMessage(channel="support-billing", text="card", blocks=blocks)
    clicked = await page.post(
        "/sandbox/api/click",
        json={
            "user": "U0LEAD01",
            "channel": "support-billing",
            "ts": card["ts"],
            "action_id": "claim",
        },
    )
    assert clicked.status == 200
    assert await clicked.json() == {"status": 200, "body": {"text": "Case C-7: unclaimed"}}
    action = receiver.of_kind("interaction")[-1].body
    assert action["user"]["id"] == "U0LEAD01" and action["actions"][0]["value"] == "C-7"

    missing = await page.post(
        "/sandbox/api/click",
        json={
            "user": "U0LEAD01",
            "channel": "support-billing",
            "ts": card["ts"],
            "action_id": "nope",
        },
    )
    assert missing.status == 400

    ran = await page.post(
        "/sandbox/api/command",
        json={"user": "U0AGENT1", "channel": "support-billing", "command": "/case", "text": "C-7"},
    )
    assert ran.status == 200
    assert receiver.of_kind("command")[-1].body["text"] == "C-7"
    listed = await (
        await page.get("/sandbox/api/messages", params={"channel": "support-billing"})
    ).json()
    ephemerals = [m for m in listed["messages"] if m.get("ephemeral_to") == "U0AGENT1"]
    assert [m["text"] for m in ephemerals] == ["Case C-7: unclaimed"]


MODAL = {
    "type": "modal",
    "callback_id": "transfer",
    "notify_on_close": True,
    "title": {"type": "plain_text", "text": "Transfer case"},
    "submit": {"type": "plain_text", "text": "Transfer"},
    "blocks": [
        {
            "type": "input",
            "block_id": "queue",
            "label": {"type": "plain_text", "text": "Queue"},
            "element": {
                "type": "static_select",
                "action_id": "pick",
                "options": [
                    {"text": {"type": "plain_text", "text": "Billing"}, "value": "billing"},
                    {"text": {"type": "plain_text", "text": "Care"}, "value": "care"},
                ],
            },
        }
    ],
}


async def test_home_and_modals_through_the_control_api(
    page: TestClient, fake: SlackFake, receiver: Receiver
) -> None:
    client = AsyncWebClient(token=TOKEN, base_url=fake.base_url)
    home_view = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "2 open"}}],
    }
    await client.views_publish(user_id="U0AGENT1", view=home_view)
    opened = await page.post("/sandbox/api/home", json={"user": "U0AGENT1"})
    assert opened.status == 200
    assert receiver.of_kind("event")[-1].body["event"]["type"] == "app_home_opened"

    modal = await client.views_open(trigger_id=fake._issue_trigger("U0AGENT1"), view=MODAL)
    view_id = modal["view"]["id"]
    listed = await (await page.get("/sandbox/api/views", params={"user": "U0AGENT1"})).json()
    assert listed["home"]["blocks"][0]["text"]["text"] == "2 open"
    assert [m["id"] for m in listed["modals"]] == [view_id]

    receiver.answer = {"response_action": "errors", "errors": {"queue": "Pick another queue"}}
    values = {"queue": {"pick": {"type": "static_select", "selected_option": {"value": "care"}}}}
    submitted = await page.post(
        "/sandbox/api/submit", json={"user": "U0AGENT1", "view_id": view_id, "values": values}
    )
    assert submitted.status == 200
    payload = receiver.of_kind("interaction")[-1].body
    assert payload["type"] == "view_submission"
    assert payload["view"]["state"]["values"] == values
    listed = await (await page.get("/sandbox/api/views", params={"user": "U0AGENT1"})).json()
    assert listed["modals"][0]["errors"] == {"queue": "Pick another queue"}

    closed = await page.post("/sandbox/api/close", json={"user": "U0AGENT1", "view_id": view_id})
    assert closed.status == 200
    assert receiver.of_kind("interaction")[-1].body["type"] == "view_closed"  # notify_on_close
    listed = await (await page.get("/sandbox/api/views", params={"user": "U0AGENT1"})).json()
    assert listed["modals"] == []

    gone = await page.post("/sandbox/api/close", json={"user": "U0AGENT1", "view_id": view_id})
    assert gone.status == 400
    nobody = await page.get("/sandbox/api/views", params={"user": "U0NOBODY"})
    assert nobody.status == 400
