"""`python -m bot` / `python -m bot serve`: run the web app (WEB_WORKERS processes)."""

from __future__ import annotations

import argparse
import gc
import logging
import sys

from aiohttp import web

from bot.app import create_app
from bot.conversation.engine import Engine
from bot.logs import configure_logging
from bot.settings import Settings
from bot.store.migrate import NotMigrated
from bot.workers import EXIT_MISCONFIGURED, Supervisor, stop_on_first_signal
from handlers.access_log import RequestAccessLogger

# How long a stopping server waits for requests in flight (chat sockets are closed at
# once): well inside the 30 s Heroku gives between SIGTERM and SIGKILL, leaving time for
# the cleanup that follows (the last chat batch, the outbox, the database).
SHUTDOWN_TIMEOUT_S = 10.0
# Middle-generation collections between two full ones (Python's default is 10): see run().
FULL_COLLECTION_EVERY = 100


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("serve", help="serve the chat, the API and the Slack endpoint")
    parser.add_argument("--port", type=int, help="overrides PORT")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    overrides = {"port": args.port} if args.port else {}
    settings = Settings(**overrides)
    configure_logging(settings.log_level)
    log = logging.getLogger("bot")
    problem = settings.workers_problem
    if problem is not None:
        sys.stderr.write(f"error: WEB_WORKERS={settings.web_workers} cannot work: {problem}\n")
        return EXIT_MISCONFIGURED
    if settings.built_in_sandbox:
        log.info(
            "no SLACK_BOT_TOKEN: using the built-in Slack sandbox at http://127.0.0.1:%s/sandbox",
            settings.port,
        )
    if settings.slack_app_token:
        log.warning(
            "SLACK_APP_TOKEN is set but not used: Socket Mode is not supported, so Slack must"
            " send events and interactions to this app's /slack/events"
        )
    engine = Engine.load(data_dir=settings.data_dir, default_region=settings.default_region)
    # The engine's models and lexicons are a few hundred thousand objects that live as long
    # as the process. Left in the collector's oldest generation, each full collection walks
    # all of them: a pause of about 0.1 s in the middle of people's messages. Frozen, the
    # collector skips them (the gc module's advice for long-lived start-up state), and
    # forked workers share those pages until reference counts written on use copy them.
    gc.collect()
    gc.freeze()
    # What lives after start-up is mostly the open sockets' objects (about 80 per socket).
    # A full collection walks all of them: 50-150 ms with 1,500 sockets open, and by
    # default one comes every few seconds under steady chat, because every object a batch
    # holds at a young collection moves to the old generation. One tenth as often (after
    # 100 collections of the middle generation instead of 10), a 20 s run of 500 people
    # chatting saw none, and its p99 fell from 153-161 to 95-121 ms
    # (benchmarks/chat_load.py). Cyclic garbage waits longer; the rest is freed at once.
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    if settings.web_workers == 1:
        return serve(settings, engine)
    return Supervisor(
        settings.web_workers, lambda _slot: serve(settings, engine, worker=True)
    ).run()


def serve(settings: Settings, engine: Engine, *, worker: bool = False) -> int:
    """Run one server process until it is stopped; its exit code."""
    app = create_app(settings, engine=engine)
    # A second stop signal must not cut the shutdown short: Ctrl-C under `heroku local`
    # is SIGINT to the group and then SIGTERM; on Heroku every process of the dyno hears
    # SIGTERM, and a worker's parent passes it on too.
    app.on_startup.append(stop_on_first_signal)
    try:
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            reuse_port=worker,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_TIMEOUT_S,
            print=None,
            access_log_class=RequestAccessLogger,
        )
    except NotMigrated as exc:
        sys.stderr.write(f"error: {exc}\n")
        return EXIT_MISCONFIGURED
    return 0
