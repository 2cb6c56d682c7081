"""Slack retries an event it thinks we missed; each event_id is acted on once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.response import BoltResponse

from handlers.slack_common import desk_of


async def drop_seen_events(
    body: dict[str, Any], context: Any, next: Callable[[], Awaitable[BoltResponse]]
) -> BoltResponse | None:
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    if not event_id:
        return await next()
    key = f"event:{event_id}"
    desk = desk_of(context)
    if await desk.was_seen(key):
        return BoltResponse(status=200, body="")
    # The listener records the key in the same transaction as what it does with the
    # event, so a failure (the database restarting, say) leaves the retry to be handled.
    context["event_key"] = key
    return await next()
