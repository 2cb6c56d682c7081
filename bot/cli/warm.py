"""`python -m bot warm`: build the engine's start-up cache ahead of time.

Training the classifier and compiling the safety lexicon take seconds; the result is kept
in the build cache (bot/conversation/buildcache.py) and read back in a fraction of a
second by every later start whose data files and code are the same. Run it where the
application is built (Heroku runs bin/post_compile, which calls this), so no web process
pays for it. It also checks every data file: a mistake fails the build, not the boot.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("warm", help="train and compile the engine into the start-up cache")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ["DATA_DIR"]) if os.environ.get("DATA_DIR") else None,
        help="data files overriding the shipped ones (default: $DATA_DIR)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.conversation.buildcache import cache_dir
    from bot.conversation.engine import Engine
    from bot.datafiles import DataFileError

    started = time.perf_counter()
    try:
        Engine.load(data_dir=args.data_dir)
    except DataFileError as exc:
        sys.stderr.write(f"warm: {exc}\n")
        return 2
    folder = cache_dir()
    where = f"cache in {folder}" if folder is not None else "cache turned off (ENGINE_CACHE_DIR)"
    sys.stdout.write(f"engine ready in {time.perf_counter() - started:.2f} s; {where}\n")
    return 0
