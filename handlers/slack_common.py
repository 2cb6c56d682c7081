"""Small helpers the Slack listeners share."""

from __future__ import annotations

import logging

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.desk import Desk

# The relay names agents too, so the lookup lives in the core; listeners import it here.
from bot.desk import agent_first_name as agent_first_name

log = logging.getLogger(__name__)


def desk_of(context: AsyncBoltContext) -> Desk:
    desk = context["desk"]
    assert isinstance(desk, Desk)
    return desk


async def tell(
    client: AsyncWebClient, *, channel: str, user: str, text: str, thread_ts: str | None = None
) -> None:
    """An ephemeral note to one agent; never fails the listener that sends it."""
    try:
        await client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
    except SlackApiError as exc:
        log.warning("could not tell an agent: %s", exc.response.get("error"))
