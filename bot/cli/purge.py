"""`python -m bot purge [--days N] [--dry-run]`: enforce the retention period.

Deletes the transcripts of closed cases idle longer than RETENTION_DAYS (default 90), keeps
their non-personal metrics, and queues the deletion of the bot's own Slack thread messages
(the running app's outbox delivers them). Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from typing import Any

from bot.clock import Clock, system_clock
from bot.lifecycle import SLACK_NOTE, purge, purge_in_batches
from bot.settings import MAX_RETENTION_DAYS, Settings
from bot.store.db import Database
from bot.store.migrate import NotMigrated, ensure_migrated

# Cases purged per transaction.
BATCH = 200


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("purge", help="delete transcripts older than the retention period")
    parser.add_argument(
        "--days", type=int, help="retention in days (default: RETENTION_DAYS, 90 unless set)"
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be purged")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.days is not None and not 0 <= args.days <= MAX_RETENTION_DAYS:
        sys.stderr.write(f"--days must be between 0 and {MAX_RETENTION_DAYS}\n")
        return 2
    try:
        summary = asyncio.run(purge_store(Settings(), days=args.days, dry_run=args.dry_run))
    except NotMigrated as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    print(json.dumps(summary, indent=2))
    return 0


async def purge_store(
    settings: Settings,
    *,
    days: int | None,
    dry_run: bool,
    clock: Clock = system_clock,
    batch: int = BATCH,
) -> dict[str, Any]:
    """Run one purge against the configured database and return the printed summary.

    Args:
        settings: where the database is, and the retention period.
        days: overrides settings.retention_days.
        dry_run: change nothing; list the cases instead.
        clock: "now".
        batch: cases purged per transaction.
    """
    retention_days = settings.retention_days if days is None else days
    db = Database(settings.database_url)
    now: datetime = clock()
    try:
        await ensure_migrated(db, auto=False)
        if dry_run:
            async with db.transaction() as session:
                result = await purge(session, now=now, retention_days=retention_days, dry_run=True)
        else:
            cases, messages, queued = await purge_in_batches(
                db, now=now, retention_days=retention_days, batch=batch
            )
    finally:
        await db.close()
    if dry_run:
        return {
            "dry_run": True,
            "retention_days": retention_days,
            "cutoff": result.extra.get("cutoff"),
            "cases_to_purge": len(result.cases),
            "messages_to_delete": result.messages,
            "slack_threads": sum(plan.slack_threads for plan in result.cases),
            "cases": [plan.as_json() for plan in result.cases],
        }
    return {
        "cases_purged": cases,
        "messages_deleted": messages,
        "slack_deletions_queued": queued,
        "retention_days": retention_days,
        "slack_note": SLACK_NOTE,
    }
