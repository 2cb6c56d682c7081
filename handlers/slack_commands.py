"""Slash commands: `/case REF` (a case at a glance) and `/incident start|resolve|list`."""

from __future__ import annotations

import shlex
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext

from bot.dossier import case_dossier_text
from bot.errors import DomainError
from bot.incidents import Incidents, open_incidents
from bot.privacy.redact import escape_slack
from bot.store.db import Database

INCIDENT_USAGE = (
    'Usage: `/incident start "Video sessions failing" [topic]`, '
    "`/incident resolve [I-XXXXX]`, `/incident list`"
)


async def case(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    db: Database = context["db"]
    try:
        async with db.transaction() as session:
            text = await case_dossier_text(session, ref=command.get("text") or "")
    except DomainError as exc:
        await ack(text=exc.message)
        return
    await ack(text=text)


async def incident(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    incidents: Incidents = context["incidents"]
    user = command["user_id"]
    try:
        words = shlex.split(command.get("text") or "")
    except ValueError:
        await ack(text=INCIDENT_USAGE)
        return
    verb, rest = (words[0].lower(), words[1:]) if words else ("list", [])
    try:
        if verb == "start" and rest:
            started = await incidents.start(
                title=rest[0], started_by=user, topic=rest[1] if len(rest) > 1 else None
            )
            found = started.incident
            await ack(
                response_type="in_channel",
                text=f":warning: <@{user}> started incident {found.ref}: "
                f"{escape_slack(found.title)} "
                f"(topic `{found.topic}`). {started.linked} open case(s) linked and told; "
                f"updates every {found.update_every_s // 60} minutes until "
                f"`/incident resolve {found.ref}`.",
            )
        elif verb == "resolve":
            closed, told = await incidents.resolve(resolved_by=user, ref=rest[0] if rest else None)
            await ack(
                response_type="in_channel",
                text=f":white_check_mark: <@{user}> resolved incident {closed.ref}: "
                f"{escape_slack(closed.title)}. {told} person(s) told.",
            )
        elif verb == "list":
            async with incidents.db.transaction() as session:
                current = await open_incidents(session)
            lines = [f"{i.ref}: {escape_slack(i.title)} (topic `{i.topic}`)" for i in current]
            await ack(text="\n".join(lines) or "No open incidents.")
        else:
            await ack(text=INCIDENT_USAGE)
    except DomainError as exc:
        await ack(text=exc.message)
