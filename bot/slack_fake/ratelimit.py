"""chat.postMessage's per-channel rate limit, as a token bucket on an injected clock.

Slack: "chat.postMessage has special rate limiting conditions ... it will generally allow
an app to post 1 message per second to a specific channel. We allow bursts over that
limit for short periods." (docs.slack.dev/apis/web-api/rate-limits). A bucket of a few
tokens refilled at one per second is that rule; past it Slack answers HTTP 429 with an
integer `Retry-After` in seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable

BURST_CAPACITY = 4.0
REFILL_PER_SECOND = 1.0


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
