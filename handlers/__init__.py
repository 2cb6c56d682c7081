"""Every route and every Slack listener, registered in one place."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot import keys
from bot.slack_guard import SlackGuard
from handlers import (
    chat_api,
    chat_page,
    chat_ws,
    health,
    slack_claim,
    slack_dedupe,
    slack_events,
    slack_resolve,
    slack_thread_reply,
)


def register(bolt_app: AsyncApp, web_app: web.Application) -> None:
    """Attach the HTTP routes to `web_app` and the Slack listeners to `bolt_app`."""
    web_app[slack_events.SLACK_GUARD] = SlackGuard(
        signing_secret=web_app[keys.SETTINGS].slack_signing_secret, clock=web_app[keys.CLOCK]
    )
    web_app.router.add_get("/healthz", health.healthz)
    web_app.router.add_post("/api/v1/conversations", chat_api.create_conversation)
    web_app.router.add_post(
        "/api/v1/conversations/{conversation_id}/messages", chat_api.post_message
    )
    web_app.router.add_get(
        "/api/v1/conversations/{conversation_id}/messages", chat_api.list_messages
    )
    web_app.router.add_get("/chat/ws", chat_ws.chat_socket)
    chat_page.add_routes(web_app)
    web_app.router.add_post("/slack/events", slack_events.slack_events)

    async def provide_services(context: Any, next: Any) -> Any:
        context["desk"] = web_app[keys.DESK]
        return await next()

    bolt_app.use(provide_services)
    bolt_app.use(slack_dedupe.drop_seen_events)
    bolt_app.action("claim")(slack_claim.claim)
    bolt_app.action("resolve")(slack_resolve.resolve)
    bolt_app.event("message")(slack_thread_reply.thread_reply)
