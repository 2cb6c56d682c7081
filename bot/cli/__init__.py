"""`python -m bot`: serve, and the operator's subcommands.

Each subcommand lives in its own module with `register(subparsers)`, which adds a parser
whose default `func(args) -> int` runs it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.settings import Settings
from bot.store.db import unreachable

# Module names under bot.cli, in the order `--help` lists them.
SUBCOMMANDS = (
    "serve",
    "migrate",
    "chat",
    "cases",
    "analyze",
    "evaluate",
    "templates",
    "slack_sandbox",
    "report",
    "purge",
    "privacy",
    "warm",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"bot.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bot.cli.{name}":
                continue  # not built yet
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["serve", *(argv or [])])
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        result: int = func(args)
    except ValidationError as exc:
        if exc.title != Settings.__name__:
            raise
        _configuration_error(exc)
        return 2
    except Exception as exc:
        reason = unreachable(exc)
        if reason is None:
            raise
        # One line a log drain shows whole, where a traceback ran to 140. The reason names
        # the address or the database, never the URL's password.
        sys.stderr.write(f"error: cannot open the database: {type(reason).__name__}: {reason}\n")
        return 1
    return result


def _configuration_error(exc: ValidationError) -> None:
    """Say which settings are wrong and why, by their environment names, never their
    values (a malformed one may be a secret)."""
    sys.stderr.write("configuration error:\n")
    for error in exc.errors(include_input=False, include_url=False):
        name = "_".join(str(part) for part in error["loc"][:1]).upper()
        sys.stderr.write(f"  {name or 'settings'}: {error['msg']}\n")


if __name__ == "__main__":
    sys.exit(main())
