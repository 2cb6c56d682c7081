"""`python -m bot` / `python -m bot serve`: run the web app."""

from __future__ import annotations

import argparse
import gc
import logging
import sys

from aiohttp import web

from bot.app import create_app
from bot.logs import configure_logging
from bot.settings import Settings
from bot.store.migrate import NotMigrated
from handlers.access_log import RequestAccessLogger


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("serve", help="serve the chat, the API and the Slack endpoint")
    parser.add_argument("--port", type=int, help="overrides PORT")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    overrides = {"port": args.port} if args.port else {}
    settings = Settings(**overrides)
    configure_logging(settings.log_level)
    log = logging.getLogger("bot")
    if settings.sandbox:
        log.info(
            "no SLACK_BOT_TOKEN: using the built-in Slack sandbox at http://127.0.0.1:%s/sandbox",
            settings.port,
        )
    app = create_app(settings)
    # The engine's models and lexicons are a few hundred thousand objects that live as long
    # as the process. Left in the collector's oldest generation, each full collection walks
    # all of them: a pause of about 0.1 s in the middle of people's messages. Frozen, the
    # collector skips them (the gc module's advice for long-lived start-up state).
    gc.collect()
    gc.freeze()
    try:
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            print=None,
            access_log_class=RequestAccessLogger,
        )
    except NotMigrated as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    return 0
