"""The Claim button: first click wins; everyone else is told who has the case."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError
from handlers.slack_common import agent_first_name, desk_of, tell


async def claim(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    agent = body["user"]["id"]
    channel = body["channel"]["id"]
    case_id = body["actions"][0].get("value", "")
    try:
        result = await desk_of(context).claim(
            case_id=case_id, agent_id=agent, agent_name=await agent_first_name(client, agent)
        )
    except DomainError as exc:
        await tell(client, channel=channel, user=agent, text=exc.message)
        return
    if result.won:
        return
    if result.holder == agent:
        await tell(client, channel=channel, user=agent, text=f"You already have {result.case.ref}.")
    elif result.holder:
        await tell(
            client,
            channel=channel,
            user=agent,
            text=f"{result.case.ref} is already claimed by <@{result.holder}>.",
        )
    else:
        await tell(
            client,
            channel=channel,
            user=agent,
            text=f"{result.case.ref} is {result.case.status}; nothing to claim.",
        )
