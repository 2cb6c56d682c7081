"""Offer callback: the person is asked whether a phone call or a secure text suits better."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.contact import ContactRoutes
from bot.errors import DomainError
from handlers.slack_common import tell


async def offer_callback(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    agent = body["user"]["id"]
    routes: ContactRoutes = context["contact"]
    try:
        await routes.offer(case_id=body["actions"][0].get("value", ""), agent_id=agent)
    except DomainError as exc:
        await tell(client, channel=body["channel"]["id"], user=agent, text=exc.message)
