"""`python -m bot cases show REF [--json]`: a case with its messages, hand-offs and audit."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from bot.clock import iso
from bot.settings import Settings
from bot.store import cases as case_store
from bot.store import messages as message_store
from bot.store.db import Database


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("cases", help="look at cases in the store")
    actions = parser.add_subparsers(dest="action", required=True)
    show = actions.add_parser("show", help="one case, by its reference (C-XXXXXX)")
    show.add_argument("ref")
    show.add_argument("--json", action="store_true", help="machine-readable output")
    show.set_defaults(func=run_show)


def run_show(args: argparse.Namespace) -> int:
    dossier = asyncio.run(load_dossier(Settings(), args.ref))
    if dossier is None:
        sys.stderr.write(f"no case {args.ref}\n")
        return 1
    if args.json:
        sys.stdout.write(json.dumps(dossier, indent=2, ensure_ascii=False) + "\n")
        return 0
    case = dossier["case"]
    sys.stdout.write(
        f"{case['ref']}  {case['status']}  queue={case['queue']}  severity={case['severity']}\n"
    )
    for handoff in dossier["handoffs"]:
        sys.stdout.write(
            f"  hand-off #{handoff['id']} {handoff['queue']} {handoff['reason']}"
            f" {handoff['status']}"
            f" created={handoff['created_at']} claimed={handoff['claimed_at']}"
            f" resolved={handoff['resolved_at']}\n"
        )
    for event in dossier["events"]:
        sys.stdout.write(f"  {event['at']}  {event['kind']}  by {event['actor']}\n")
    return 0


async def load_dossier(settings: Settings, ref: str) -> dict[str, Any] | None:
    db = Database(settings.database_url)
    try:
        async with db.transaction() as session:
            case = await case_store.get_case_by_ref(session, ref=ref)
            if case is None:
                return None
            messages = await message_store.messages_after(
                session, case_id=case.id, include_internal=True, limit=100_000
            )
            handoffs = await case_store.handoffs_for_case(session, case_id=case.id)
            events = await case_store.events_for_case(session, case_id=case.id)
    finally:
        await db.close()
    return {
        "case": {
            "ref": case.ref,
            "id": case.id,
            "status": case.status,
            "queue": case.queue,
            "severity": case.severity,
            "topic": case.topic,
            "locale": case.locale,
            "assignee": case.assignee,
            "summary": case.summary,
            "created_at": iso(case.created_at),
            "resolved_at": iso(case.resolved_at),
        },
        "messages": [
            {
                "seq": m.seq,
                "sender": m.sender,
                "text": m.text,
                "internal": m.internal,
                "author": m.author_id,
                "at": iso(m.created_at),
            }
            for m in messages
        ],
        "handoffs": [
            {
                "id": h.id,
                "queue": h.queue,
                "reason": h.reason,
                "severity": h.severity,
                "status": h.status,
                "claimed_by": h.claimed_by,
                "resolved_by": h.resolved_by,
                "slack_channel": h.slack_channel,
                "slack_ts": h.slack_ts,
                "created_at": iso(h.created_at),
                "posted_at": iso(h.posted_at),
                "claimed_at": iso(h.claimed_at),
                "first_agent_reply_at": iso(h.first_agent_reply_at),
                "resolved_at": iso(h.resolved_at),
            }
            for h in handoffs
        ],
        "events": [
            {"kind": e.kind, "actor": e.actor, "at": iso(e.created_at), "data": e.data}
            for e in events
        ],
    }
