"""Reply: the case's holder writes to the person from a box; while it is open the person
sees "{Name} is typing…" (bot/typing.py)."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import typing as agent_typing
from bot.errors import DomainError
from bot.privacy.redact import escape_slack
from bot.settings import Settings
from handlers.slack_common import desk_of, tell
from handlers.slack_modals import case_modal

log = logging.getLogger(__name__)

CALLBACK_ID = "reply_to_person"
REPLY_BLOCK = "reply"


def reply_modal(*, case_id: str, channel: str, ref: str, name: str | None) -> dict[str, Any]:
    shown_as = escape_slack(name) if name else "the support team"
    view = case_modal(
        callback_id=CALLBACK_ID,
        case_id=case_id,
        channel=channel,
        title=f"Reply · {ref}",
        submit="Send",
        blocks=[
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"The person reads this in their chat from *{shown_as}*, and "
                        "sees that you are typing while this is open. A copy goes into the "
                        "case thread.",
                    }
                ],
            },
            {
                "type": "input",
                "block_id": REPLY_BLOCK,
                "label": {"type": "plain_text", "text": "Your reply"},
                # No max_length: Slack caps it at 3,000, below the chat's own limit, which
                # the submission is checked against instead.
                "element": {
                    "type": "plain_text_input",
                    "action_id": REPLY_BLOCK,
                    "multiline": True,
                    "focus_on_load": True,
                },
            },
        ],
    )
    # Slack tells us about Cancel only when asked: that is what hides the indicator.
    view["notify_on_close"] = True
    return view


async def open_reply(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    agent = body["user"]["id"]
    channel = body["channel"]["id"]
    desk = desk_of(context)
    try:
        case = await agent_typing.held_case(
            desk, case_id=body["actions"][0].get("value", ""), agent_id=agent
        )
    except DomainError as exc:
        await tell(client, channel=channel, user=agent, text=exc.message)
        return
    try:
        await client.views_open(
            trigger_id=body["trigger_id"],
            view=reply_modal(
                case_id=case.id, channel=channel, ref=case.ref, name=case.assignee_name
            ),
        )
    except SlackApiError as exc:
        error = exc.response.get("error")
        log.warning("could not open the reply box: %s", error)
        await tell(
            client,
            channel=channel,
            user=agent,
            text="The reply box did not open; press Reply again.",
        )
        return
    await agent_typing.start_typing(desk, case=case)


async def submit_reply(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    value = view["state"]["values"].get(REPLY_BLOCK, {}).get(REPLY_BLOCK, {}).get("value")
    settings: Settings = context["settings"]
    try:
        await agent_typing.send_reply(
            desk_of(context),
            case_id=str(meta.get("case_id", "")),
            agent_id=body["user"]["id"],
            text=str(value or ""),
            reply_id=str(view.get("id", "")),
            max_chars=settings.max_message_chars,
        )
    except agent_typing.NotTheHolder as exc:
        await ack(response_action="errors", errors={REPLY_BLOCK: exc.plain})
        return
    except DomainError as exc:
        await ack(response_action="errors", errors={REPLY_BLOCK: exc.message})
        return
    await ack()


async def reply_closed(ack: AsyncAck, view: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    case_id = json.loads(view.get("private_metadata") or "{}").get("case_id")
    if case_id:
        await agent_typing.stop_typing(desk_of(context), case_id=str(case_id))
