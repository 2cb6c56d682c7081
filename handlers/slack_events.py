"""POST /slack/events: Slack's events, interactions and slash commands, into Bolt."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

from bot import keys
from bot.slack_guard import SlackGuard
from handlers.middleware import error_response

SLACK_GUARD = web.AppKey("slack_guard", SlackGuard)


async def slack_events(request: web.Request) -> web.Response:
    guard = request.app[SLACK_GUARD]
    body = await request.read()
    signature = request.headers.get("X-Slack-Signature")
    if not guard.signature_ok(body, request.headers.get("X-Slack-Request-Timestamp"), signature):
        return error_response(
            401, "invalid_signature", "The Slack signature is missing, wrong or stale."
        )
    # A signed request seen before is a replay, unless Slack marks it as its own retry
    # (a retried event is then dropped by its event_id instead).
    retrying = "X-Slack-Retry-Num" in request.headers
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
