"""POST /slack/events: Slack's events, interactions and slash commands, into Bolt."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from bot import keys
from bot.desk import thread_reply_of
from bot.slack_guard import SlackGuard
from handlers.middleware import error_response
from handlers.slack_shape import read_shape

SLACK_GUARD = web.AppKey("slack_guard", SlackGuard)


async def slack_events(request: web.Request) -> web.Response:
    guard = request.app[SLACK_GUARD]
    body = await request.read()
    signature = request.headers.get("X-Slack-Signature")
    if not guard.signature_ok(body, request.headers.get("X-Slack-Request-Timestamp"), signature):
        return error_response(
            401, "invalid_signature", "The Slack signature is missing, wrong or stale."
        )
    shape = read_shape(body)
    if shape.problem is not None:
        return error_response(400, "invalid_payload", f"Malformed Slack request: {shape.problem}.")
    event = shape.event
    if event is not None and _acts_on_nothing(event):
        # Our own posts echoed back, other bots', edits: no listener acts on them, so they
        # need no replay record and no Bolt (most of the events Slack sends us are these).
        return web.Response(status=200)
    # A signed request seen before is a replay, unless it is an event Slack marks as its
    # own retry: the event is then dropped by its event_id instead. The header is not
    # signed, so it counts only for events: Slack never retries interactions or commands,
    # and for those it would let anyone replay a captured request.
    retrying = event is not None and "X-Slack-Retry-Num" in request.headers
    try:
        first = retrying or await request.app[keys.DESK].first_time(f"sig:{signature}")
    except Exception:
        await request.app[keys.DESK].event_failed()
        raise
    if not first:
        return error_response(401, "replayed", "This Slack request was already handled.")
    desk = request.app[keys.DESK]
    try:
        bolt_response = await request.app[keys.BOLT].async_dispatch(await to_bolt_request(request))
    except Exception:
        await desk.event_failed()  # Slack retries it, perhaps after later events
        raise
    if bolt_response.status >= 500:
        await desk.event_failed()
    return await to_aiohttp_response(bolt_response)


def _acts_on_nothing(event: dict[str, Any]) -> bool:
    """A message event that is not a reply in a thread (bot/desk.py thread_reply_of)."""
    return event.get("type") == "message" and not thread_reply_of(event)
