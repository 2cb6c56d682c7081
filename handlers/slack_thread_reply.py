"""Messages in a case thread: an agent's reply goes to the person; `note:` stays here."""

from __future__ import annotations

from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack_common import agent_first_name, desk_of, tell

# Edits, deletions, joins and the like are not replies to relay.
IGNORED_SUBTYPES = frozenset({"message_changed", "message_deleted", "channel_join", "bot_message"})


async def thread_reply(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    if event.get("bot_id") or event.get("subtype") in IGNORED_SUBTYPES:
        return  # our own posts and other bots' never reach a person
    thread_ts, ts, user = event.get("thread_ts"), event.get("ts"), event.get("user")
    if not thread_ts or thread_ts == ts or not user:
        return  # not a reply in a thread
    relayed = await desk_of(context).relay_reply(
        channel=event["channel"],
        thread_ts=thread_ts,
        user=user,
        user_name=await agent_first_name(client, user),
        text=event.get("text") or "",
        ts=ts,
        event_key=context.get("event_key"),
    )
    if relayed.outcome == "not_claimed":
        await tell(
            client,
            channel=event["channel"],
            user=user,
            text="Claim the case first: the person sees thread replies once it is claimed. "
            "Start a reply with `note:` to keep it internal.",
            thread_ts=thread_ts,
        )
    elif relayed.outcome == "closed":
        await tell(
            client,
            channel=event["channel"],
            user=user,
            text="This case is closed, so the reply was not sent to the person.",
            thread_ts=thread_ts,
        )
