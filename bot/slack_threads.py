"""Reading a Slack thread back, page by page (conversations.replies)."""

from __future__ import annotations

from typing import Any

from slack_sdk.web.async_client import AsyncWebClient


async def thread_messages(
    client: AsyncWebClient,
    *,
    channel: str,
    ts: str,
    limit: int,
    oldest: str | None = None,
    max_pages: int | None = None,
) -> list[dict[str, Any]]:
    """The thread's messages (after `oldest`, exclusive, when given), every page read
    before returning, or at most `max_pages` of them."""
    messages: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while max_pages is None or pages < max_pages:
        bounds: dict[str, Any] = {"oldest": oldest, "inclusive": False} if oldest else {}
        response = await client.conversations_replies(
            channel=channel, ts=ts, limit=limit, cursor=cursor, **bounds
        )
        pages += 1
        messages += response.get("messages") or []
        cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return messages
