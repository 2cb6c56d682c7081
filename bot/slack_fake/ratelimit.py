"""Slack's Web API rate limits, as token buckets on an injected clock.

docs.slack.dev/apis/web-api/rate-limits: "chat.postMessage has special rate limiting
conditions ... it will generally allow an app to post 1 message per second to a specific
channel. We allow bursts over that limit for short periods." A bucket of a few tokens
refilled at one per second is that rule. Other methods are per-method "tiers" of calls
per minute per workspace. Past a limit Slack answers HTTP 429 with an integer
`Retry-After` in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

BURST_CAPACITY = 4.0
REFILL_PER_SECOND = 1.0

# Calls per minute for each tier ("Tier 2: 20+ per minute", "Tier 3: 50+", "Tier 4: 100+").
TIER_PER_MINUTE = {2: 20, 3: 50, 4: 100}
# Each method's tier, from its reference page (docs.slack.dev/reference/methods/...).
# Internal apps keep Tier 3 for conversations.history/replies (the 2025 limit of 1 per
# minute applies to commercially distributed non-Marketplace apps only).
METHOD_TIERS = {
    "chat.update": 3,
    "chat.delete": 3,
    "chat.postEphemeral": 4,
    "chat.getPermalink": 4,
    "conversations.archive": 2,
    "conversations.history": 3,
    "conversations.replies": 3,
    "conversations.info": 3,
    "conversations.list": 2,
    "users.info": 4,
    "views.open": 4,
    "views.update": 4,
    "views.push": 4,
    "views.publish": 4,
}


class TokenBucket:
    def __init__(
        self,
        clock: Callable[[], float],
        *,
        capacity: float = BURST_CAPACITY,
        refill_per_second: float = REFILL_PER_SECOND,
    ) -> None:
        self._clock = clock
        self.capacity = capacity
        self.refill_per_second = refill_per_second
        self._tokens = capacity
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_per_second)
        self._updated = now

    def take(self) -> int:
        """Take one token. Returns 0 when allowed, else the whole seconds to wait (>= 1)."""
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0
        missing = 1.0 - self._tokens
        return max(1, math.ceil(missing / self.refill_per_second))


class ChannelRateLimiter:
    """One bucket per channel id, created on first use."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def retry_after(self, channel_id: str) -> int:
        bucket = self._buckets.get(channel_id)
        if bucket is None:
            bucket = self._buckets[channel_id] = TokenBucket(self._clock)
        return bucket.take()


class MethodRateLimiter:
    """One bucket per tiered method: its per-minute allowance, refilled evenly."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    def retry_after(self, method: str) -> int:
        tier = METHOD_TIERS.get(method)
        if tier is None:
            return 0
        bucket = self._buckets.get(method)
        if bucket is None:
            per_minute = float(TIER_PER_MINUTE[tier])
            bucket = self._buckets[method] = TokenBucket(
                self._clock, capacity=per_minute, refill_per_second=per_minute / 60.0
            )
        return bucket.take()
