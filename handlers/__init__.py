"""Every route and every Slack listener, registered in one place."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp

from bot import keys, toolkit
from bot.slack_guard import SlackGuard
from handlers import (
    chat_api,
    chat_page,
    chat_ws,
    contact_api,
    health,
    openapi,
    slack_callback,
    slack_claim,
    slack_commands,
    slack_compensation,
    slack_dedupe,
    slack_events,
    slack_home,
    slack_release,
    slack_reply_modal,
    slack_resolve,
    slack_root_cause,
    slack_thread_reply,
    slack_transfer,
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
    web_app.router.add_get("/api/v1/openapi.json", openapi.openapi_document)
    web_app.router.add_post(
        "/api/v1/conversations/{conversation_id}/contact", contact_api.choose_contact
    )
    web_app.router.add_post("/api/v1/conversations/{conversation_id}/csat", contact_api.rate)
    web_app.router.add_get("/chat/ws", chat_ws.chat_socket)
    chat_page.add_routes(web_app)
    web_app.router.add_post("/slack/events", slack_events.slack_events)

    async def provide_services(context: Any, next: Any) -> Any:
        context["desk"] = web_app[keys.DESK]
        # The agents' toolkit (bot/toolkit.py).
        context["db"] = web_app[keys.DB]
        context["clock"] = web_app[keys.CLOCK]
        context["settings"] = web_app[keys.SETTINGS]
        context["routing"] = web_app[keys.ROUTING]
        context["root_causes"] = web_app[toolkit.ROOT_CAUSES]
        context["compensations"] = web_app[toolkit.COMPENSATIONS]
        context["incidents"] = web_app[toolkit.INCIDENTS]
        context["contact"] = web_app[toolkit.CONTACT]
        return await next()

    bolt_app.use(provide_services)
    bolt_app.use(slack_dedupe.drop_seen_events)
    bolt_app.action("claim")(slack_claim.claim)
    bolt_app.action("resolve")(slack_resolve.resolve)
    # The one message listener. handlers/slack_events.py answers the message events it
    # ignores (thread_reply_of is None) before Bolt: a new one must change that test too.
    bolt_app.event("message")(slack_thread_reply.thread_reply)
    # The agents' toolkit.
    bolt_app.action("transfer")(slack_transfer.open_transfer)
    bolt_app.view(slack_transfer.CALLBACK_ID)(slack_transfer.submit_transfer)
    bolt_app.action("release")(slack_release.release)
    bolt_app.action("resolve_cause")(slack_root_cause.open_root_cause)
    bolt_app.view(slack_root_cause.CALLBACK_ID)(slack_root_cause.submit_root_cause)
    bolt_app.action("make_it_right")(slack_compensation.open_make_it_right)
    bolt_app.view(slack_compensation.CALLBACK_ID)(slack_compensation.submit_make_it_right)
    bolt_app.action("compensation_approve")(slack_compensation.approve)
    bolt_app.action("compensation_decline")(slack_compensation.decline)
    bolt_app.action("offer_callback")(slack_callback.offer_callback)
    bolt_app.action("reply")(slack_reply_modal.open_reply)
    bolt_app.view(slack_reply_modal.CALLBACK_ID)(slack_reply_modal.submit_reply)
    bolt_app.view_closed(slack_reply_modal.CALLBACK_ID)(slack_reply_modal.reply_closed)
    bolt_app.command("/case")(slack_commands.case)
    bolt_app.command("/incident")(slack_commands.incident)
    bolt_app.event("app_home_opened")(slack_home.home_opened)
