"""Messages in a case thread: an agent's reply goes to the person; `note:` stays here."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.desk import CardNotRecorded, thread_reply_of
from handlers.slack_common import agent_first_name, desk_of, tell

log = logging.getLogger(__name__)


async def thread_reply(
    event: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> BoltResponse | None:
    reply = thread_reply_of(event)
    if reply is None:
        return None  # our own posts, other bots', edits, and messages outside a thread
    try:
        relayed = await desk_of(context).relay_reply(
            channel=event["channel"],
            thread_ts=reply.thread_ts,
            user=reply.user,
            user_name=await agent_first_name(client, reply.user),
            text=reply.text,
            ts=reply.ts,
            event_key=context.get("event_key"),
            slack=client,
            # Slack names who started the thread; a card is always the bot's.
            to_bot_post=event.get("parent_user_id", context.bot_user_id) == context.bot_user_id,
        )
    except CardNotRecorded:
        # Expected when the instance that posted a card died before storing it: the answer
        # is an error only so that Slack delivers the event again.
        log.info("a reply in thread %s waits for its card to be stored", reply.thread_ts)
        return BoltResponse(status=500)
    if relayed.outcome == "not_claimed":
        await tell(
            client,
            channel=event["channel"],
            user=reply.user,
            text="Claim the case first: the person sees thread replies once it is claimed. "
            "Start a reply with `note:` to keep it internal.",
            thread_ts=reply.thread_ts,
        )
    elif relayed.outcome == "closed":
        await tell(
            client,
            channel=event["channel"],
            user=reply.user,
            text="This case is closed, so the reply was not sent to the person.",
            thread_ts=reply.thread_ts,
        )
    return None
