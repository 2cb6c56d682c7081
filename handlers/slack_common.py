"""Small helpers the Slack listeners share."""

from __future__ import annotations

import logging

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.desk import Desk

log = logging.getLogger(__name__)


def desk_of(context: AsyncBoltContext) -> Desk:
    desk = context["desk"]
    assert isinstance(desk, Desk)
    return desk


async def agent_first_name(client: AsyncWebClient, user_id: str) -> str | None:
    """The agent's first name as the person will see it ("Alex has joined")."""
    try:
        response = await client.users_info(user=user_id)
    except SlackApiError:
        return None
    profile = (response.get("user") or {}).get("profile") or {}
    name = profile.get("first_name") or profile.get("real_name") or profile.get("display_name")
    if not name:
        return None
    return str(name).split()[0][:40]


async def tell(
    client: AsyncWebClient, *, channel: str, user: str, text: str, thread_ts: str | None = None
) -> None:
    """An ephemeral note to one agent; never fails the listener that sends it."""
    try:
        await client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
    except SlackApiError as exc:
        log.warning("could not tell an agent: %s", exc.response.get("error"))
