"""`python -m bot privacy export|erase --user ID`: a person's access and erasure requests.

The user id is the host platform's; the cases are found under both the pseudonym the app
stores when IDENTITY_SECRET is set and the raw id it stores otherwise. Both commands write
an audit event on every case they touch (actor "privacy-cli").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.clock import Clock, system_clock
from bot.identity import MAX_USER_ID_CHARS
from bot.lifecycle import SLACK_NOTE, erase_person, export_person, person_refs_for
from bot.settings import Settings
from bot.store.db import Database
from bot.store.migrate import NotMigrated, ensure_migrated


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("privacy", help="export or erase one person's data")
    actions = parser.add_subparsers(dest="privacy_action", required=True)
    export = actions.add_parser("export", help="everything stored about a person, as JSON")
    export.add_argument("--user", required=True, help="the platform's user id")
    export.add_argument("--out", type=Path, help="write the JSON here instead of stdout")
    export.set_defaults(func=run)
    erase = actions.add_parser("erase", help="delete a person's transcripts, keep metrics")
    erase.add_argument("--user", required=True, help="the platform's user id")
    erase.add_argument("--yes", action="store_true", help="really erase (else: show what)")
    erase.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    user = str(args.user).strip()
    if not user or len(user) > MAX_USER_ID_CHARS:
        sys.stderr.write(f"--user must be 1..{MAX_USER_ID_CHARS} characters\n")
        return 2
    settings = Settings()
    if not settings.identity_secret:
        # The app stores the pseudonym whenever IDENTITY_SECRET is set where it runs; a
        # shell without it finds only cases stored under the raw id.
        sys.stderr.write(
            "warning: IDENTITY_SECRET is not set here: only cases stored under the raw user "
            "id can be found; set it as the app has it to find the others\n"
        )
    try:
        if args.privacy_action == "export":
            return _export(settings, user=user, out=args.out)
        summary = asyncio.run(erase_user(settings, user=user, confirmed=args.yes))
    except NotMigrated as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    print(json.dumps(summary, indent=2))
    if not summary["cases"]:
        return _nothing_found()
    if not args.yes:
        sys.stderr.write("nothing erased: run again with --yes to erase the above\n")
        return 2
    return 0


def _export(settings: Settings, *, user: str, out: Path | None) -> int:
    def hand_over(data: dict[str, Any]) -> None:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if out is None:
            sys.stdout.write(text)
        else:
            write_private(out, text)

    try:
        data = asyncio.run(export_user(settings, user=user, hand_over=hand_over))
    except OSError as exc:
        sys.stderr.write(f"cannot write {out}: {exc.strerror or exc}; nothing was exported\n")
        return 1
    if not data["cases"]:
        return _nothing_found()
    if out is not None:
        sys.stderr.write(f"{len(data['cases'])} case(s) written to {out}\n")
    return 0


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read: it holds a person's health data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as file:
        os.fchmod(fd, 0o600)  # a file that was there already keeps its mode otherwise
        file.write(text)


def _nothing_found() -> int:
    """Exit 1: a request that matched no case must not read as done (a mistyped id, or a
    shell without the app's IDENTITY_SECRET)."""
    sys.stderr.write("no cases found for this user id: nothing was exported or erased\n")
    return 1


async def export_user(
    settings: Settings,
    *,
    user: str,
    hand_over: Callable[[dict[str, Any]], None],
    clock: Clock = system_clock,
) -> dict[str, Any]:
    """Export one person's data from the configured database (audited).

    Args:
        settings: the database and IDENTITY_SECRET.
        user: the platform's user id.
        hand_over: delivers the export (writes the file). It runs before the audit events
            commit, so an export that could not be delivered is not recorded as done.
        clock: "now", for the audit events.
    """
    refs = person_refs_for(user, identity_secret=settings.identity_secret)
    db = Database(settings.database_url)
    try:
        await ensure_migrated(db, auto=False)
        async with db.transaction() as session:
            data = await export_person(session, person_refs=refs, now=clock())
            if data["cases"]:
                hand_over(data)
            return data
    finally:
        await db.close()


async def erase_user(
    settings: Settings, *, user: str, confirmed: bool, clock: Clock = system_clock
) -> dict[str, Any]:
    """Erase one person's data (or, unconfirmed, say what would be erased).

    Args:
        settings: the database and IDENTITY_SECRET.
        user: the platform's user id.
        confirmed: False only reports.
        clock: "now", for the audit events.
    """
    refs = person_refs_for(user, identity_secret=settings.identity_secret)
    db = Database(settings.database_url)
    try:
        await ensure_migrated(db, auto=False)
        async with db.transaction() as session:
            result = await erase_person(
                session, person_refs=refs, now=clock(), dry_run=not confirmed
            )
    finally:
        await db.close()
    cases = [plan.as_json() for plan in result.cases]
    if not confirmed:
        return {
            "dry_run": True,
            "cases_to_erase": len(cases),
            "messages_to_delete": result.messages,
            "cases": cases,
        }
    return {
        "cases_erased": len(cases),
        "messages_deleted": result.messages_deleted,
        "slack_deletions_queued": result.slack_deletions_queued,
        "cases": [case["ref"] for case in cases],
        "slack_note": SLACK_NOTE,
    }
