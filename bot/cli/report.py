"""`python -m bot report [--since DATE] [--until DATE] --out DIR`: the leads' period report."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.report import build_report, write_report
from bot.settings import Settings
from bot.store.db import Database
from bot.store.migrate import NotMigrated, ensure_migrated

DEFAULT_DAYS = 7


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "report", help="hand-off rate, reply and resolution times, CSAT, compensation, trend"
    )
    parser.add_argument("--since", type=date.fromisoformat, help="first day (YYYY-MM-DD)")
    parser.add_argument(
        "--until", type=date.fromisoformat, help="last day, included (default: today)"
    )
    parser.add_argument("--out", type=Path, required=True, help="folder for the three files")
    parser.set_defaults(func=run)


def period(since: date | None, until: date | None, today: date) -> tuple[datetime, datetime]:
    last = until or today
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    return start, end


def run(args: argparse.Namespace) -> int:
    start, end = period(args.since, args.until, datetime.now(UTC).date())
    if start >= end:
        sys.stderr.write("--since must be on or before --until\n")
        return 2
    try:
        written = asyncio.run(_run(Settings(), start, end, args.out))
    except NotMigrated as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    for path in written:
        print(path)
    return 0


async def _run(settings: Settings, start: datetime, end: datetime, out: Path) -> list[Path]:
    db = Database(settings.database_url)
    try:
        await ensure_migrated(db, auto=False)
        async with db.transaction() as session:
            report = await build_report(session, since=start, until=end)
    finally:
        await db.close()
    return await asyncio.to_thread(write_report, report, out)
