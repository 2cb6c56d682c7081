"""Per-IP and per-conversation limits: 429 + Retry-After + JSON, nothing stored, refills."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from handlers.ratelimits import client_ip
from tests.handlers.conftest import MakeClient, Ticker, assert_error, stored_rows
from tests.support import Person


async def assert_limited(response: object, retry_after: int) -> None:
    assert response.status == 429  # type: ignore[attr-defined]
    assert response.headers["Retry-After"] == str(retry_after)  # type: ignore[attr-defined]
    assert_error(await response.json(), "rate_limited")  # type: ignore[attr-defined]


async def test_ip_limit_on_starting_conversations(make_client: MakeClient, ticker: Ticker) -> None:
    client = await make_client(ip=(0.5, 3))
    for _ in range(3):
        assert (await client.post("/api/v1/conversations", json={})).status == 201
    before = await stored_rows(client)
    refused = await client.post("/api/v1/conversations", json={})
    await assert_limited(refused, retry_after=2)  # one token at 0.5/s
    assert await stored_rows(client) == before
    ticker.advance(2)
    assert (await client.post("/api/v1/conversations", json={})).status == 201


async def test_ip_limit_counts_requests_with_forged_tokens(
    make_client: MakeClient, ticker: Ticker
) -> None:
    """A flood of guesses is slowed like any other traffic, before any token is checked."""
    client = await make_client(ip=(1, 4))
    person = Person(client)
    await person.start()
    url = f"/api/v1/conversations/{person.conversation_id}/messages"
    forged = {"Authorization": "Bearer forged.token"}
    statuses = [
        (await client.post(url, json={"text": "hi"}, headers=forged)).status for _ in range(4)
    ]
    assert statuses == [401, 401, 401, 429]
    # The address is out of budget for the genuine token too: it is the same client.
    await assert_limited(await client.get(url, headers=person.auth), retry_after=1)
    ticker.advance(1)
    assert (await client.get(url, headers=person.auth)).status == 200


async def test_conversation_limit_on_messages(make_client: MakeClient, ticker: Ticker) -> None:
    client = await make_client(conversation=(0.25, 2))
    person = Person(client)
    await person.start()
    await person.say("my video call dropped")
    await person.say("it dropped again")
    before = await stored_rows(client)
    url = f"/api/v1/conversations/{person.conversation_id}/messages"
    refused = await client.post(url, json={"text": "hello?"}, headers=person.auth)
    await assert_limited(refused, retry_after=4)
    assert await stored_rows(client) == before
    # Reading is not a message: polling still works while sending waits.
    assert (await client.get(url, headers=person.auth)).status == 200
    # Another conversation from the same address has its own budget.
    other = Person(client)
    await other.start()
    await other.say("I was charged twice")
    ticker.advance(4)
    reply = await person.say("hello?")
    assert reply["seq"] > 0


async def test_conversation_budget_needs_the_token(make_client: MakeClient) -> None:
    """Nobody can use up someone else's conversation budget without its token."""
    client = await make_client(conversation=(0.01, 1), ip=(1000, 1000))
    person = Person(client)
    await person.start()
    url = f"/api/v1/conversations/{person.conversation_id}/messages"
    for _ in range(5):
        forged = {"Authorization": "Bearer x.y"}
        response = await client.post(url, json={"text": "x"}, headers=forged)
        assert response.status == 401
    assert (await person.say("my session never started"))["seq"] > 0


class FakeRequest:
    def __init__(self, remote: str | None, forwarded: str | None = None) -> None:
        self.remote = remote
        self.headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}


def test_forwarded_for_is_ignored_unless_proxies_are_trusted() -> None:
    request = FakeRequest("10.0.0.1", "203.0.113.9")
    assert client_ip(request, trusted_proxy_hops=0) == "10.0.0.1"  # type: ignore[arg-type]
    assert client_ip(request, trusted_proxy_hops=1) == "203.0.113.9"  # type: ignore[arg-type]


def test_forwarded_for_takes_the_address_the_trusted_proxy_saw() -> None:
    # The client wrote "1.1.1.1" itself; our one proxy appended the real address.
    request = FakeRequest("10.0.0.1", "1.1.1.1, 198.51.100.7")
    assert client_ip(request, trusted_proxy_hops=1) == "198.51.100.7"  # type: ignore[arg-type]
    assert client_ip(request, trusted_proxy_hops=2) == "1.1.1.1"  # type: ignore[arg-type]
    short = FakeRequest("10.0.0.1", "")
    assert client_ip(short, trusted_proxy_hops=1) == "10.0.0.1"  # type: ignore[arg-type]
    assert client_ip(FakeRequest(None), trusted_proxy_hops=0) == "unknown"  # type: ignore[arg-type]


async def test_default_limits_let_a_conversation_through(client: TestClient) -> None:
    """The app's own numbers leave room for a person's normal pace (a burst of replies)."""
    person = Person(client)
    await person.start()
    for text in ("hi", "I was charged twice", "for one session", "last week", "can you help"):
        await person.say(text)
    assert len((await person.inbox())["messages"]) >= 6
