"""Two app instances sharing one database and one Slack, as two dynos would."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app import create_app
from bot.conversation.engine import Engine
from bot.routing import load_routing
from bot.settings import Settings
from bot.slack_fake import SlackFake
from tests.conftest import TEST_SIGNING_SECRET

SLACK_TOKEN = "xoxb-test-shared-slack"


@dataclass
class Instances:
    a: TestClient
    b: TestClient
    slack: SlackFake


async def stop_outbox_workers() -> None:
    """Stop every instance's outbox worker: what is enqueued stays pending."""
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == "outbox"]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@pytest.fixture
async def instances(settings: Settings, engine: Engine) -> AsyncIterator[Instances]:
    slack = SlackFake(
        signing_secret=TEST_SIGNING_SECRET,
        bot_token=SLACK_TOKEN,
        channels=load_routing().channels(),
    )
    base_url = await slack.start()
    shared = settings.model_copy(update={"slack_bot_token": SLACK_TOKEN, "slack_api_url": base_url})
    clients: list[TestClient] = []
    try:
        for _ in range(2):
            app: web.Application = create_app(shared, engine=engine)
            client = TestClient(TestServer(app))
            await client.start_server()
            clients.append(client)
        # Slack's events land on the second instance; the person talks to the first.
        slack.events_url = str(clients[1].make_url("/slack/events"))
        yield Instances(a=clients[0], b=clients[1], slack=slack)
    finally:
        for client in clients:
            await client.close()
        await slack.stop()
