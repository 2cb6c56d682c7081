"""Fixtures: a SlackFake on a loopback port, the real slack-sdk client pointed at it, and
a tiny receiver app that checks every delivery's signature like a real app would."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_fake import SlackFake

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
CHANNELS = ("support-billing", "support-crisis")


class ManualClock:
    """Wall-clock time that only moves when a test says so (starts at now, so real
    signature verifiers accept it)."""

    def __init__(self) -> None:
        self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Received:
    kind: str  # "event" | "interaction" | "command"
    headers: dict[str, str]
    raw: str
    body: dict[str, Any]


@dataclass
class Receiver:
    """What the app under test would be: verifies signatures, records, answers."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    rejected: int = 0
    status: int = 200
    statuses: list[int] = field(default_factory=list)  # scripted answers, then `status`
    answer: Any = None  # JSON body to answer with (None: empty 200)
    delay_s: float = 0.0
    no_retry: bool = False

    def of_kind(self, kind: str) -> list[Received]:
        return [r for r in self.received if r.kind == kind]


def _parse(raw: str, content_type: str) -> tuple[str, dict[str, Any]]:
    if content_type == "application/json":
        return "event", json.loads(raw)
    form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
    if "payload" in form:
        return "interaction", json.loads(form["payload"])
    return "command", form


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def receiver(aiohttp_server: Any) -> Receiver:
    state = Receiver()
    verifier = SignatureVerifier(SECRET)

    async def handle(request: web.Request) -> web.Response:
        raw = await request.text()
        if not verifier.is_valid_request(raw, dict(request.headers)):
            state.rejected += 1
            return web.Response(status=401)
        kind, body = _parse(raw, request.content_type)
        state.received.append(Received(kind, dict(request.headers), raw, body))
        if state.delay_s:
            await asyncio.sleep(state.delay_s)
        headers = {"X-Slack-No-Retry": "1"} if state.no_retry else {}
        status = state.statuses.pop(0) if state.statuses else state.status
        if state.answer is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(state.answer, status=status, headers=headers)

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    server = await aiohttp_server(app)
    state.url = str(server.make_url("/slack/events"))
    return state


@pytest.fixture
async def fake(receiver: Receiver, clock: ManualClock) -> AsyncIterator[SlackFake]:
    slack = SlackFake(
        signing_secret=SECRET,
        bot_token=TOKEN,
        events_url=receiver.url,
        channels=CHANNELS,
        clock=clock,
    )
    await slack.start()
    yield slack
    await slack.stop()


@pytest.fixture
def client(fake: SlackFake) -> AsyncWebClient:
    assert fake.base_url is not None
    return AsyncWebClient(token=TOKEN, base_url=fake.base_url)
