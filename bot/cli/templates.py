"""`python -m bot templates check [PATH]`: lint a template library against the rubric."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.conversation.crisis import CrisisResources
from bot.conversation.engine import Engine
from bot.conversation.queues import QueueRouting
from bot.conversation.rubric import check_library, check_replies
from bot.conversation.templates import TemplateLibrary
from bot.conversation.understand import Understander
from bot.datafiles import DataFileError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "templates",
        help="check the bot's template library",
        description=__doc__,
    )
    actions = parser.add_subparsers(dest="templates_command", required=True)
    check = actions.add_parser(
        "check",
        help="render every template for a battery of messages and apply the rubric",
    )
    check.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="a template file or a folder of them (default: the shipped library)",
    )
    check.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="an ops data folder: its crisis resources are checked too",
    )
    check.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        library = TemplateLibrary.load(path=args.path, data_dir=args.data_dir)
        crisis = _crisis_templates(args.data_dir)
        engine = _engine(library, args.data_dir)
    except DataFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = check_library(library, crisis)
    replies = check_replies(engine)
    failures = [*report.failures, *replies.failures]
    for failure in failures:
        print(failure)
    status = "ok" if not failures else f"{len(failures)} failure(s)"
    print(
        f"{report.checked} templates and {replies.checked} composed replies checked: {status}",
        file=sys.stderr,
    )
    return 0 if not failures else 1


def _engine(library: TemplateLibrary, data_dir: Path | None) -> Engine:
    """The real engine, speaking from the library under check."""
    return Engine(
        understander=Understander.load(data_dir=data_dir),
        templates=library,
        routing=QueueRouting.load(data_dir=data_dir),
        crisis=CrisisResources.load(data_dir=data_dir),
    )


def _crisis_templates(data_dir: Path | None) -> list[tuple[Path, str, str, str]]:
    return CrisisResources.load(data_dir=data_dir).all_templates()
