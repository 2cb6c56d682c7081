"""Transfer: a modal picks the queue and the reason; the card moves to that queue's channel."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError
from bot.routing import Routing
from handlers.slack_common import desk_of, tell
from handlers.slack_modals import case_modal

CALLBACK_ID = "transfer_case"
REASON_MAX_CHARS = 300


def transfer_modal(*, case_id: str, channel: str, routing: Routing) -> dict[str, Any]:
    options = [
        {
            "text": {"type": "plain_text", "text": f"{name} (#{queue.channel})"[:75]},
            "value": name,
        }
        for name, queue in routing.queues.items()
    ]
    return case_modal(
        callback_id=CALLBACK_ID,
        case_id=case_id,
        channel=channel,
        title="Transfer case",
        submit="Transfer",
        blocks=[
            {
                "type": "input",
                "block_id": "queue",
                "label": {"type": "plain_text", "text": "Move to queue"},
                "element": {"type": "static_select", "action_id": "queue", "options": options},
            },
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Reason (the next agent sees it)"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "reason",
                    "max_length": REASON_MAX_CHARS,
                },
            },
        ],
    )


async def open_transfer(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    case_id = body["actions"][0].get("value", "")
    await client.views_open(
        trigger_id=body["trigger_id"],
        view=transfer_modal(
            case_id=case_id, channel=body["channel"]["id"], routing=context["routing"]
        ),
    )


def selected(view: dict[str, Any], block: str) -> str:
    """A static_select's chosen value or a text input's value from a submitted view."""
    value = view["state"]["values"].get(block, {}).get(block, {})
    option = value.get("selected_option") or {}
    return str(option.get("value") or value.get("value") or "").strip()


async def submit_transfer(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    agent = body["user"]["id"]
    to_queue, reason = selected(view, "queue"), selected(view, "reason")
    if not reason:
        await ack(response_action="errors", errors={"reason": "Say why, for the next agent."})
        return
    try:
        await desk_of(context).transfer(
            case_id=str(meta.get("case_id", "")),
            to_queue=to_queue,
            reason=reason,
            agent_id=agent,
            routing=context["routing"],
            request_id=view.get("id"),
        )
    except DomainError as exc:
        await ack(response_action="errors", errors={"queue": exc.message})
        return
    await ack()
    if meta.get("channel"):
        await tell(client, channel=meta["channel"], user=agent, text=f"Moved to {to_queue}.")
