"""Token-bucket rate limiting with an injected clock."""

from __future__ import annotations

import pytest

from bot.ratelimit import RateLimiter, allow_all


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_burst_then_refused_then_refilled_at_the_rate(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_s=2.0, burst=3, clock=clock)
    assert [limiter.allow("ip-1") for _ in range(4)] == [True, True, True, False]
    assert limiter.retry_after("ip-1") == pytest.approx(0.5)
    clock.advance(0.25)
    assert limiter.allow("ip-1") is False
    assert limiter.retry_after("ip-1") == pytest.approx(0.25)
    clock.advance(0.25)
    assert limiter.retry_after("ip-1") == 0.0
    assert limiter.allow("ip-1") is True
    assert limiter.allow("ip-1") is False


def test_refill_never_exceeds_burst(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_s=10.0, burst=2, clock=clock)
    limiter.allow("k")
    clock.advance(3600)
    assert [limiter.allow("k") for _ in range(3)] == [True, True, False]


def test_keys_are_independent(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=1, clock=clock)
    assert limiter.allow("conv-a") is True
    assert limiter.allow("conv-a") is False
    assert limiter.allow("conv-b") is True
    assert limiter.retry_after("never-seen") == 0.0


def test_refused_request_spends_nothing(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=5, clock=clock)
    assert limiter.allow("k", cost=4) is True
    assert limiter.allow("k", cost=2) is False  # one token left, refused whole
    assert limiter.allow("k", cost=1) is True
    assert limiter.allow("k", cost=10) is False


def test_clock_stepping_backwards_does_not_drain_or_refill(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=2, clock=clock)
    limiter.allow("k")
    clock.advance(-100)
    assert limiter.allow("k") is True
    assert limiter.allow("k") is False


def test_memory_is_bounded_by_max_keys_dropping_least_recent(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_s=0.001, burst=1, clock=clock, max_keys=3)
    for key in ("a", "b", "c"):
        assert limiter.allow(key) is True
    assert limiter.allow("a") is False  # "a" is now the most recently used
    assert limiter.allow("d") is True  # evicts "b", the least recently used
    assert len(limiter) == 3
    assert limiter.allow("a") is False  # "a" kept its empty bucket
    assert limiter.allow("b") is True  # forgotten: a fresh bucket


def test_idle_keys_are_forgotten_once_their_bucket_would_be_full(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=5, clock=clock)
    for index in range(1000):
        limiter.allow(f"ip-{index}")
    assert len(limiter) == 1000
    clock.advance(5.0)  # burst / rate: every one of them is full again
    limiter.allow("newcomer")
    assert len(limiter) == 1


def test_many_distinct_keys_stay_within_max_keys(clock: FakeClock) -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=1, clock=clock, max_keys=100)
    for index in range(10_000):
        limiter.allow(f"ip-{index}")
    assert len(limiter) == 100


def test_allow_all_spends_from_every_limit_or_none(clock: FakeClock) -> None:
    per_ip = RateLimiter(rate_per_s=1.0, burst=3, clock=clock)
    per_conversation = RateLimiter(rate_per_s=1.0, burst=1, clock=clock)
    assert allow_all([(per_ip, "1.2.3.4"), (per_conversation, "conv-1")]) is True
    assert allow_all([(per_ip, "1.2.3.4"), (per_conversation, "conv-1")]) is False
    # The refusal above did not touch the per-IP budget: two tokens are still there.
    assert per_ip.would_allow("1.2.3.4", cost=2) is True
    assert per_ip.would_allow("1.2.3.4", cost=3) is False
    assert allow_all([(per_ip, "1.2.3.4"), (per_conversation, "conv-2")]) is True


@pytest.mark.parametrize(
    "kwargs",
    [
        {"rate_per_s": 0, "burst": 1},
        {"rate_per_s": 1, "burst": 0},
        {"rate_per_s": 1, "burst": 1, "max_keys": 0},
    ],
)
def test_nonsense_configuration_is_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        RateLimiter(**kwargs)  # type: ignore[arg-type]


def test_default_clock_is_monotonic_time() -> None:
    limiter = RateLimiter(rate_per_s=1.0, burst=1)
    assert limiter.allow("k") is True
    assert limiter.allow("k") is False
    assert 0.0 < limiter.retry_after("k") <= 1.0
