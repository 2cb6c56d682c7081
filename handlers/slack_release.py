"""Release: the agent gives a claimed case back to its queue; the card is Unclaimed again."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError
from handlers.slack_common import agent_first_name, desk_of, tell


async def release(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    agent = body["user"]["id"]
    channel = body["channel"]["id"]
    try:
        case = await desk_of(context).release(
            case_id=body["actions"][0].get("value", ""),
            agent_id=agent,
            agent_name=await agent_first_name(client, agent),
        )
    except DomainError as exc:
        await tell(client, channel=channel, user=agent, text=exc.message)
        return
    if case is None:
        await tell(
            client,
            channel=channel,
            user=agent,
            text="Only the agent who claimed this case can release it.",
        )
