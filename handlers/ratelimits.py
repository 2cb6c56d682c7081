"""Per-IP and per-conversation request limits for the REST API and the chat socket.

The buckets are `bot.ratelimit.RateLimiter`s built by the app factory (keys IP_LIMITER and
CONVERSATION_LIMITER). The IP budget counts every request that reaches an API route,
authenticated or not, so a flood of forged tokens is slowed like any other; the
conversation budget counts only what a token holder sends, so nobody can use up someone
else's conversation without its token.
"""

from __future__ import annotations

import math

from aiohttp import web

from bot import keys
from bot.errors import DomainError
from bot.ratelimit import RateLimiter, allow_all


class RateLimited(DomainError):
    """Refused for going too fast; answered as 429 with `Retry-After: retry_after_s`."""

    status = 429

    def __init__(self, retry_after: float) -> None:
        # Retry-After is whole seconds (RFC 9110 §10.2.3); never 0, or clients spin.
        self.retry_after_s = max(1, math.ceil(retry_after))
        super().__init__(
            "rate_limited",
            f"Too many requests; try again in {self.retry_after_s} seconds.",
        )


def client_ip(request: web.Request, *, trusted_proxy_hops: int | None = None) -> str:
    """The address the limits are keyed by.

    Args:
        request: the incoming request.
        trusted_proxy_hops: how many proxies in front of us append to X-Forwarded-For
            (default: the TRUSTED_PROXY_HOPS setting). 0 ignores the header: anyone can
            write it, so trusting it would let a client pick a fresh bucket per request.
    """
    remote = request.remote or "unknown"
    if trusted_proxy_hops is None:
        trusted_proxy_hops = request.app[keys.SETTINGS].trusted_proxy_hops
    if trusted_proxy_hops <= 0:
        return remote
    hops = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
    hops = [hop for hop in hops if hop]
    # Each trusted proxy appends the address it saw; the one our nearest trusted proxy
    # received the request from is `trusted_proxy_hops` from the end.
    if len(hops) >= trusted_proxy_hops:
        return hops[-trusted_proxy_hops]
    return remote


def check_ip(request: web.Request) -> None:
    """Spend one request from the caller's address; raise RateLimited if it has none."""
    limiter = request.app[keys.IP_LIMITER]
    key = client_ip(request)
    if not limiter.allow(key):
        raise RateLimited(limiter.retry_after(key))


def check_conversation(request: web.Request, conversation_id: str) -> None:
    """Spend one message from the conversation's budget; raise RateLimited if it has none.

    Call it only after the token is verified.
    """
    limiter = request.app[keys.CONVERSATION_LIMITER]
    if not limiter.allow(conversation_id):
        raise RateLimited(limiter.retry_after(conversation_id))


def allow_socket_message(app: web.Application, ip: str, conversation_id: str) -> float | None:
    """Spend one chat-socket message from both budgets, or neither.

    Returns None when allowed, otherwise the seconds until both would allow it.
    """
    checks: list[tuple[RateLimiter, str]] = [
        (app[keys.IP_LIMITER], ip),
        (app[keys.CONVERSATION_LIMITER], conversation_id),
    ]
    if allow_all(checks):
        return None
    return max(limiter.retry_after(key) for limiter, key in checks)
