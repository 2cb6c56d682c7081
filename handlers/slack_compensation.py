"""Make it right: the agent's modal (waiver or credit, amount, reason) and a lead's decision."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.compensation import KINDS, Compensations, money
from bot.errors import DomainError
from handlers.slack_common import tell
from handlers.slack_modals import case_modal
from handlers.slack_transfer import selected

CALLBACK_ID = "make_it_right"
# Which modal field an error from the core belongs under.
FIELD_FOR_ERROR = {
    "kind_invalid": "kind",
    "amount_invalid": "amount",
    "amount_too_large": "amount",
    "reason_required": "reason",
    "reason_too_long": "reason",
}


def compensations_of(context: AsyncBoltContext) -> Compensations:
    found = context["compensations"]
    assert isinstance(found, Compensations)
    return found


def make_it_right_modal(*, case_id: str, channel: str, currency: str, limit: str) -> dict[str, Any]:
    return case_modal(
        callback_id=CALLBACK_ID,
        case_id=case_id,
        channel=channel,
        title="Make it right",
        submit="Apply",
        blocks=[
            {
                "type": "input",
                "block_id": "kind",
                "label": {"type": "plain_text", "text": "What"},
                "element": {
                    "type": "static_select",
                    "action_id": "kind",
                    "options": [
                        {"text": {"type": "plain_text", "text": label}, "value": key}
                        for key, label in KINDS.items()
                    ],
                },
            },
            {
                "type": "input",
                "block_id": "amount",
                "label": {"type": "plain_text", "text": f"Amount ({currency})"},
                "element": {"type": "plain_text_input", "action_id": "amount"},
            },
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {"type": "plain_text_input", "action_id": "reason", "multiline": True},
            },
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"Up to {limit} {currency} applies at once; above that a "
                        "lead approves. The person is told in the chat.",
                    }
                ],
            },
        ],
    )


async def open_make_it_right(
    ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
) -> None:
    await ack()
    compensations = compensations_of(context)
    await client.views_open(
        trigger_id=body["trigger_id"],
        view=make_it_right_modal(
            case_id=body["actions"][0].get("value", ""),
            channel=body["channel"]["id"],
            currency=compensations.currency,
            limit=money(compensations.limit_cents, compensations.currency).split()[0],
        ),
    )


async def submit_make_it_right(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    context: AsyncBoltContext,
) -> None:
    meta = json.loads(view.get("private_metadata") or "{}")
    agent = body["user"]["id"]
    try:
        outcome = await compensations_of(context).request(
            case_id=str(meta.get("case_id", "")),
            kind=selected(view, "kind"),
            amount=selected(view, "amount"),
            reason=selected(view, "reason"),
            agent_id=agent,
            # Submit pressed again on the same box (Slack re-enables it when an answer is
            # slow) is the same request: one credit, not two.
            request_id=str(view.get("id") or "") or None,
        )
    except DomainError as exc:
        field = FIELD_FOR_ERROR.get(exc.code, "reason")
        await ack(response_action="errors", errors={field: exc.message})
        return
    await ack()
    if meta.get("channel"):
        row = outcome.compensation
        amount = money(row.amount_cents, row.currency)
        text = (
            f"{amount} is over the limit: a lead has been asked to approve it."
            if outcome.needs_approval
            else f"{KINDS[row.kind]} of {amount} applied; the person has been told."
        )
        await tell(client, channel=meta["channel"], user=agent, text=text)


async def approve(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    await _decide(ack, body, client, respond, context, approve=True)


async def decline(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
) -> None:
    await _decide(ack, body, client, respond, context, approve=False)


async def _decide(
    ack: AsyncAck,
    body: dict[str, Any],
    client: AsyncWebClient,
    respond: AsyncRespond,
    context: AsyncBoltContext,
    *,
    approve: bool,
) -> None:
    await ack()
    lead = body["user"]["id"]
    channel = body["channel"]["id"]
    thread_ts = (body.get("container") or {}).get("thread_ts")
    try:
        outcome = await compensations_of(context).decide(
            compensation_id=body["actions"][0].get("value", ""), lead_id=lead, approve=approve
        )
    except DomainError as exc:  # not a lead, already decided, or gone
        await tell(client, channel=channel, user=lead, text=exc.message, thread_ts=thread_ts)
        return
    row = outcome.compensation
    verdict = ":white_check_mark: Approved" if approve else ":x: Declined"
    text = (
        f"{verdict} by <@{lead}>: {KINDS[row.kind]} of "
        f"{money(row.amount_cents, row.currency)} for {outcome.case.ref} "
        f"(asked by <@{row.requested_by}>)."
    )
    # The buttons go: one decision per request, visible to everyone in the thread.
    await respond(
        replace_original=True,
        text=text,
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    )
