"""In-memory token-bucket rate limiting, keyed by any string (an IP, a conversation id).

Each key has a bucket holding up to `burst` tokens that refills at `rate_per_s`; a request
spends `cost` tokens or is refused without spending anything. A full bucket behaves
exactly like a missing one, so idle keys are dropped without changing any answer, and
memory stays bounded even when every request comes from a new address.

Per-process by design: with several instances each enforces its own share, which is
enough to blunt floods; the durable limits (Slack's) live in the outbox.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated_at: float


class RateLimiter:
    """Token buckets keyed by string.

    Args:
        rate_per_s: tokens added per second, > 0.
        burst: bucket size: how many requests may arrive at once, >= 1.
        clock: monotonic seconds; tests pass a fake.
        max_keys: most buckets kept; beyond it the least recently used is dropped.
    """

    def __init__(
        self,
        *,
        rate_per_s: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate_per_s must be positive")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._max_keys = max_keys
        # Least recently used first: eviction and the idle sweep both read from the front.
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        # After this long untouched a bucket is full again, hence safe to forget.
        self._refill_s = burst / rate_per_s

    def allow(self, key: str, cost: float = 1.0) -> bool:
        """Spend `cost` tokens from `key`'s bucket if it has them; False otherwise."""
        if cost < 0:
            raise ValueError("cost must not be negative")
        now = self._clock()
        bucket = self._touch(key, now)
        if bucket.tokens < cost:
            return False
        bucket.tokens -= cost
        return True

    def would_allow(self, key: str, cost: float = 1.0) -> bool:
        """Whether `allow(key, cost)` would succeed now, without spending anything."""
        bucket = self._buckets.get(key)
        tokens = float(self.burst) if bucket is None else self._refilled(bucket, self._clock())
        return tokens >= cost

    def retry_after(self, key: str) -> float:
        """Seconds until `key` has one whole token (0.0 if it has one now).

        Suitable, rounded up, for a `Retry-After` header.
        """
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0.0
        tokens = self._refilled(bucket, self._clock())
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate_per_s

    def __len__(self) -> int:
        return len(self._buckets)

    def _touch(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            self._forget_idle(now)
            bucket = _Bucket(tokens=float(self.burst), updated_at=now)
            self._buckets[key] = bucket
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            bucket.tokens = self._refilled(bucket, now)
            bucket.updated_at = now
            self._buckets.move_to_end(key)
        return bucket

    def _refilled(self, bucket: _Bucket, now: float) -> float:
        # max(0, …): a clock that steps backwards must not drain anyone's bucket.
        elapsed = max(0.0, now - bucket.updated_at)
        return min(float(self.burst), bucket.tokens + elapsed * self.rate_per_s)

    def _forget_idle(self, now: float) -> None:
        # Keys are in last-use order, so the sweep stops at the first recent one: the cost
        # is proportional to what it removes.
        while self._buckets:
            oldest = next(iter(self._buckets.values()))
            if now - oldest.updated_at < self._refill_s:
                return
            self._buckets.popitem(last=False)


def allow_all(checks: Iterable[tuple[RateLimiter, str]], cost: float = 1.0) -> bool:
    """Spend from every (limiter, key) pair only if all of them allow it.

    For layered limits (per IP and per conversation): a request refused by one limit
    must not use up the other's budget.
    """
    pairs = list(checks)
    if not all(limiter.would_allow(key, cost) for limiter, key in pairs):
        return False
    for limiter, key in pairs:
        limiter.allow(key, cost)
    return True
