"""Settings, a real database (SQLite, or PostgreSQL from DATABASE_URL), the Slack fake and an
aiohttp client built from the real `create_app`."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient

from bot import keys
from bot.app import create_app
from bot.conversation.engine import Engine
from bot.settings import Settings
from bot.slack_fake import SlackFake
from tests.support import reset_postgres

TEST_SIGNING_SECRET = "test-signing-secret"


@pytest.fixture
async def database_url(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """SQLite in a temporary file, or a freshly emptied PostgreSQL when DATABASE_URL says so."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql")):
        url = Settings(database_url=url, _env_file=None).database_url  # type: ignore[call-arg]
        if not await reset_postgres(url):
            if os.environ.get("REQUIRE_POSTGRES") == "1":
                pytest.fail(f"PostgreSQL is required but not reachable at {url}")
            pytest.skip("PostgreSQL not reachable")
        return url
    return f"sqlite+aiosqlite:///{tmp_path}/supportbot.db"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        environment="test",
        database_url=database_url,
        slack_bot_token=None,
        slack_api_url=None,
        slack_signing_secret=TEST_SIGNING_SECRET,
        token_secret="test-token-secret-0123456789abcdef",
        outbox_poll_s=0.05,
        auto_migrate=True,
        port=0,
    )


@pytest.fixture(scope="session")
def engine() -> Engine:
    """The conversation engine is pure and immutable: load it once for the whole run."""
    return Engine.load()


@pytest.fixture
async def client(aiohttp_client, settings: Settings, engine: Engine) -> AsyncIterator[TestClient]:  # type: ignore[no-untyped-def]
    app = create_app(settings, engine=engine)
    test_client: TestClient = await aiohttp_client(app)
    app[keys.SLACK_FAKE].events_url = str(test_client.make_url("/slack/events"))
    yield test_client


@pytest.fixture
def slack(client: TestClient) -> SlackFake:
    return client.app[keys.SLACK_FAKE]
