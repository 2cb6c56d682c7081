"""Clients built from the real `create_app` with the knobs the defence tests need: an
identity secret, a clock to move, rate limiters on a clock of their own."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func
from sqlmodel import select

from bot import keys
from bot.app import create_app
from bot.clock import FakeClock
from bot.conversation.engine import Engine
from bot.ratelimit import RateLimiter
from bot.settings import Settings
from bot.store.models import Case, CaseEvent, HandOff, Message, OutboxItem

IDENTITY_SECRET = "test-identity-secret-0123456789abcdef"

MakeClient = Callable[..., Awaitable[TestClient]]


class Ticker:
    """Monotonic seconds for the rate limiters, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def make_client(
    aiohttp_client: Any, settings: Settings, engine: Engine, ticker: Ticker
) -> MakeClient:
    """Build a test client; keyword arguments override settings fields.

    `ip=(rate, burst)` and `conversation=(rate, burst)` replace the app's limiters with
    ones on `ticker`; `clock` replaces the app's clock.
    """

    async def make(
        *,
        ip: tuple[float, int] | None = None,
        conversation: tuple[float, int] | None = None,
        clock: FakeClock | None = None,
        **overrides: Any,
    ) -> TestClient:
        app_settings = settings.model_copy(update=overrides)
        app = (
            create_app(app_settings, engine=engine, clock=clock)
            if clock is not None
            else create_app(app_settings, engine=engine)
        )
        if ip is not None:
            app[keys.IP_LIMITER] = RateLimiter(rate_per_s=ip[0], burst=ip[1], clock=ticker)
        if conversation is not None:
            app[keys.CONVERSATION_LIMITER] = RateLimiter(
                rate_per_s=conversation[0], burst=conversation[1], clock=ticker
            )
        client: TestClient = await aiohttp_client(app)
        app[keys.SLACK_FAKE].events_url = str(client.make_url("/slack/events"))
        return client

    return make


async def stored_rows(client: TestClient) -> dict[str, int]:
    """How many rows a request could have written, per table.

    Events are counted for the person only: the outbox writes its own ("card_posted")
    in the background whenever it delivers, which no request of this test controls.
    """
    counts: dict[str, int] = {}
    async with client.app[keys.DB].transaction() as session:
        for name, query in {
            "case": select(func.count()).select_from(Case),
            "message": select(func.count()).select_from(Message),
            "handoff": select(func.count()).select_from(HandOff),
            "outbox": select(func.count()).select_from(OutboxItem),
            "person_event": select(func.count())
            .select_from(CaseEvent)
            .where(CaseEvent.actor == "person"),
        }.items():
            counts[name] = (await session.exec(query)).one()
    return counts


def assert_error(body: Any, code: str) -> None:
    """The API's one error shape, with this code and a message a person can read."""
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].strip()
