"""A toolkit app on a fake clock, with a lead, and a tiny billing receiver on loopback."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot import keys
from bot.app import create_app
from bot.clock import FakeClock
from bot.conversation.engine import Engine
from bot.settings import Settings
from bot.slack_fake import SlackFake

LEAD = "U0LEAD01"
BILLING_SECRET = "test-billing-secret-0123456789"
IDENTITY_SECRET = "test-identity-secret-0123456789"


@dataclass
class BillingReceiver:
    """Billing's side of the webhook: fails the first `fail_first` attempts with a 500."""

    fail_first: int = 1
    attempts: list[dict[str, Any]] = field(default_factory=list)
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.attempts.append({"headers": dict(request.headers), "body": body})
        if len(self.attempts) <= self.fail_first:
            return web.json_response({"error": "try again"}, status=500)
        key = request.headers["Idempotency-Key"]
        # Billing applies a key once, as a real idempotent endpoint would.
        self.applied.setdefault(key, json.loads(body))
        return web.json_response({"ok": True})


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
async def billing(aiohttp_server) -> tuple[BillingReceiver, TestServer]:  # type: ignore[no-untyped-def]
    receiver = BillingReceiver()
    app = web.Application()
    app.router.add_post("/billing/compensations", receiver.handle)
    server: TestServer = await aiohttp_server(app, host="127.0.0.1")
    return receiver, server


@pytest.fixture
def toolkit_settings(settings: Settings, billing: tuple[BillingReceiver, TestServer]) -> Settings:
    _, server = billing
    return settings.model_copy(
        update={
            "support_leads": LEAD,
            "billing_webhook_url": str(server.make_url("/billing/compensations")),
            "billing_webhook_secret": BILLING_SECRET,
            "compensation_limit": 100.0,
            "currency": "USD",
            "identity_secret": IDENTITY_SECRET,
        }
    )


@pytest.fixture
async def tk(
    aiohttp_client, toolkit_settings: Settings, engine: Engine, clock: FakeClock
) -> TestClient:  # type: ignore[no-untyped-def]
    app = create_app(toolkit_settings, clock=clock, engine=engine)
    client: TestClient = await aiohttp_client(app)
    app[keys.SLACK_FAKE].events_url = str(client.make_url("/slack/events"))
    return client


@pytest.fixture
def tk_slack(tk: TestClient) -> SlackFake:
    return tk.app[keys.SLACK_FAKE]
