"""Slack retries an event it thinks we missed; each event_id is handled once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.response import BoltResponse

from handlers.slack_common import desk_of


async def drop_seen_events(
    body: dict[str, Any], context: Any, next: Callable[[], Awaitable[BoltResponse]]
) -> BoltResponse | None:
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if event_id and not await desk_of(context).first_time(f"event:{event_id}"):
        return BoltResponse(status=200, body="")
    return await next()
