"""429s with an integer Retry-After after the burst, refills on the injected clock, and
injected faults as slack-sdk sees them."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_fake import SlackFake
from tests.slack_fake.conftest import TOKEN, ManualClock


async def post(client: AsyncWebClient, channel: str = "support-billing") -> Any:
    return await client.chat_postMessage(channel=channel, text="card")


async def test_burst_then_429_with_integer_retry_after(
    client: AsyncWebClient, fake: SlackFake
) -> None:
    for _ in range(4):
        await post(client)
    with pytest.raises(SlackApiError) as err:
        await post(client)
    response = err.value.response
    assert response.status_code == 429
    assert response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == "1"
    assert len(fake.messages("support-billing")) == 4
    assert fake.calls[-1]["status"] == 429


async def test_limit_is_per_channel(client: AsyncWebClient, fake: SlackFake) -> None:
    for _ in range(4):
        await post(client)
    await post(client, "support-crisis")  # a different channel has its own bucket
    assert len(fake.messages("support-crisis")) == 1


async def test_bucket_refills_as_the_clock_moves(
    client: AsyncWebClient, fake: SlackFake, clock: ManualClock
) -> None:
    for _ in range(4):
        await post(client)
    with pytest.raises(SlackApiError):
        await post(client)
    clock.advance(1.0)
    await post(client)  # one token back after one second
    with pytest.raises(SlackApiError):
        await post(client)
    clock.advance(10.0)
    for _ in range(4):  # refills to the burst capacity, no further
        await post(client)
    with pytest.raises(SlackApiError) as err:
        await post(client)
    assert int(err.value.response.headers["Retry-After"]) >= 1


async def test_rate_limit_can_be_turned_off(client: AsyncWebClient, fake: SlackFake) -> None:
    fake.rate_limit = False
    for _ in range(10):
        await post(client)
    assert len(fake.messages("support-billing")) == 10


async def test_other_methods_have_their_tier_per_minute(
    client: AsyncWebClient, fake: SlackFake, clock: ManualClock
) -> None:
    for _ in range(20):  # conversations.list is Tier 2: 20 per minute
        await client.conversations_list()
    with pytest.raises(SlackApiError) as err:
        await client.conversations_list()
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "3"  # one call back every 3 s
    await client.users_info(user="U0AGENT1")  # another method, another allowance
    clock.advance(3)
    await client.conversations_list()


class ClockRateLimitHandler(AsyncRateLimitErrorRetryHandler):
    """slack-sdk's own 429 handler, waiting on the test clock instead of sleeping."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(max_retry_count=2)
        self.clock = clock
        self.waits: list[int] = []

    async def prepare_for_next_attempt_async(self, *, state: Any, **kwargs: Any) -> None:
        response = kwargs["response"]
        (value,) = [v for k, v in response.headers.items() if k.lower() == "retry-after"]
        wait = int(value[0])  # the retry machinery keeps each header as a list
        self.waits.append(wait)
        self.clock.advance(wait)
        state.next_attempt_requested = True
        state.increment_current_attempt()


async def test_sdk_rate_limit_handler_retries_through_the_429(
    fake: SlackFake, clock: ManualClock
) -> None:
    handler = ClockRateLimitHandler(clock)
    handlers: list[AsyncRetryHandler] = [handler]
    client = AsyncWebClient(token=TOKEN, base_url=fake.base_url, retry_handlers=handlers)
    for _ in range(5):
        await post(client)
    assert handler.waits == [1]
    assert len(fake.messages("support-billing")) == 5
    assert [c["status"] for c in fake.calls] == [200, 200, 200, 200, 429, 200]


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("429", 429)])
async def test_injected_fault_hits_the_next_calls_only(
    client: AsyncWebClient, fake: SlackFake, kind: Any, status: int
) -> None:
    fake.inject_fault("chat.postMessage", kind, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            await post(client)
        assert err.value.response.status_code == status
    await post(client)
    assert len(fake.messages("support-billing")) == 1  # nothing stored by the failed calls
    assert [c["status"] for c in fake.calls] == [status, status, 200]


async def test_timeout_fault_times_the_client_out_and_stores_nothing(fake: SlackFake) -> None:
    fake.fault_timeout_s = 0.3
    fake.inject_fault("chat.postMessage", "timeout")
    client = AsyncWebClient(token=TOKEN, base_url=fake.base_url, timeout=0.1)  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        await post(client)
    await fake.wait_for(lambda: fake.calls[-1].get("error") == "timeout", timeout=1.0)
    assert fake.messages("support-billing") == []


async def test_timeout_fault_drops_the_connection_without_an_answer(fake: SlackFake) -> None:
    fake.fault_timeout_s = 0.01
    fake.inject_fault("chat.postMessage", "timeout")
    # No retry handlers: slack-sdk's default one would retry a dropped connection after
    # a backoff of about half a second.
    client = AsyncWebClient(token=TOKEN, base_url=fake.base_url, retry_handlers=[])
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await post(client)
    assert [(c["status"], c["error"]) for c in fake.calls] == [(0, "timeout")]
    await post(client)  # the faults are used up
    assert len(fake.messages("support-billing")) == 1


async def test_fail_rate_hits_writes_not_reads(fake: SlackFake) -> None:
    client = AsyncWebClient(token=TOKEN, base_url=fake.base_url, retry_handlers=[])
    fake.fail_rate = 1.0
    fake.fault_timeout_s = 0.0
    for _ in range(5):
        with pytest.raises((SlackApiError, aiohttp.ServerDisconnectedError)) as err:
            await post(client)
        if isinstance(err.value, SlackApiError):
            assert err.value.response.status_code in (429, 500)
    kinds = {c.get("error") for c in fake.calls if c["method"] == "chat.postMessage"}
    assert kinds <= {"ratelimited", "fatal_error", "timeout"} and len(kinds) >= 2
    assert (await client.conversations_list())["ok"] is True
    assert fake.messages("support-billing") == []


async def test_fail_rate_is_seeded(clock: ManualClock) -> None:
    def faults(seed: int) -> list[Any]:
        slack = SlackFake(signing_secret="s", bot_token="t", seed=seed, clock=clock)
        slack.fail_rate = 0.5
        rng = slack.web_api._rng
        return [rng.random() < 0.5 for _ in range(20)]

    assert faults(7) == faults(7)
    assert faults(7) != faults(8)
