"""`python -m bot migrate`: bring the database schema up to date (Procfile `release:`)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.settings import Settings
from bot.store.db import Database
from bot.store.migrate import current_revision, head_revision, is_newer, upgrade


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("migrate", help="apply database migrations")
    parser.add_argument("--check", action="store_true", help="only say whether it is up to date")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_run(Settings(), check=args.check))


async def _run(settings: Settings, *, check: bool) -> int:
    db = Database(settings.database_url)
    try:
        before = await current_revision(db)
        head = head_revision()
        if check:
            sys.stdout.write(f"database at {before or 'nothing'}; code at {head}\n")
            return 0 if before == head else 1
        if is_newer(before):
            # A rollback: Heroku runs the release phase for it, and a failure there would
            # stop the rollback. The newer schema only added, so this release runs on it.
            sys.stdout.write(
                f"database at {before}, newer than this release ({head}): left as it is\n"
            )
            return 0
        await upgrade(db)
        sys.stdout.write(f"migrated {before or 'empty database'} -> {head}\n")
        return 0
    finally:
        await db.close()
