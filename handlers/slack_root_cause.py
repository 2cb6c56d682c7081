"""Resolve with a root cause: a modal lists the causes (bot/data/root_causes.yaml)."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import DomainError
from handlers.slack_common import desk_of, tell
from handlers.slack_modals import case_modal
from handlers.slack_transfer import selected

CALLBACK_ID = "resolve_with_cause"


def root_cause_modal(*, case_id: str, channel: str, causes: dict[str, str]) -> dict[str, Any]:
    return case_modal(
        callback_id=CALLBACK_ID,
        case_id=case_id,
        channel=channel,
        title="Resolve case",
        submit="Resolve",
        blocks=[
            {
                "type": "input",
                "block_id": "root_cause",
                "label": {"type": "plain_text", "text": "Root cause"},
                "element": {
                    "type": "static_select",
                    "action_id": "root_cause",
                    "options": [
                        {"text": {"type": "plain_text", "text": label}, "value": key}
                        for key, label in causes.items()
                    ],
                },
            }
        ],
    )


async def open_root_cause(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    await client.views_open(
        trigger_id=body["trigger_id"],
        view=root_cause_modal(
            case_id=body["actions"][0].get("value", ""),
            channel=body["channel"]["id"],
            causes=context["root_causes"],
        ),
    )


async def submit_root_cause(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    agent = body["user"]["id"]
    cause = selected(view, "root_cause")
    if cause not in context["root_causes"]:
        await ack(response_action="errors", errors={"root_cause": "Pick a cause from the list."})
        return
    try:
        case = await desk_of(context).resolve(
            case_id=str(meta.get("case_id", "")), agent_id=agent, root_cause=cause
        )
    except DomainError as exc:
        await ack(response_action="errors", errors={"root_cause": exc.message})
        return
    await ack()
    if case is None and meta.get("channel"):
        await tell(
            client, channel=meta["channel"], user=agent, text="That case is already resolved."
        )
