"""`python -m bot slack-sandbox`: run the local Slack (Web API + sandbox page) on its own.

Point the app at it with base_url http://HOST:PORT/api/ and open http://HOST:PORT/sandbox/.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from typing import Any

from aiohttp import web

from bot.datafiles import DataFileError, load_data_yaml

# Placeholders so the sandbox runs with no configuration at all; never real credentials.
DEFAULT_SIGNING_SECRET = "sandbox-signing-secret"
DEFAULT_BOT_TOKEN = "xoxb-sandbox-token"


def queue_channels() -> list[str]:
    """Channel names from the queue routing data file, in file order."""
    data: Any = load_data_yaml("queues.yaml")
    queues = data.get("queues", {}) if isinstance(data, dict) else {}
    names: list[str] = []
    for queue in queues.values():
        channel = queue.get("channel") if isinstance(queue, dict) else None
        if isinstance(channel, str) and channel not in names:
            names.append(channel)
    return names


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "slack-sandbox",
        help="run the local Slack fake (Web API at /api/, sandbox page at /sandbox/)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--events-url", required=True, help="the app's /slack/events URL")
    parser.add_argument("--signing-secret", default=None, help="default: $SLACK_SIGNING_SECRET")
    parser.add_argument("--bot-token", default=None, help="default: $SLACK_BOT_TOKEN")
    parser.add_argument(
        "--channels", default=None, help="comma-separated names; default: queues.yaml channels"
    )
    parser.set_defaults(func=run)


async def serve(args: argparse.Namespace, channels: list[str]) -> None:
    from bot.slack_fake import SlackFake
    from bot.slack_fake.sandbox import mount_sandbox

    fake = SlackFake(
        signing_secret=args.signing_secret
        or os.environ.get("SLACK_SIGNING_SECRET")
        or DEFAULT_SIGNING_SECRET,
        bot_token=args.bot_token or os.environ.get("SLACK_BOT_TOKEN") or DEFAULT_BOT_TOKEN,
        events_url=args.events_url,
        channels=channels,
    )
    fake.configure_retries()  # Slack's own schedule: 3 retries, now, +1 min, +5 min
    app = fake.web_app()
    mount_sandbox(app, fake)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, args.host, args.port)
        await site.start()
        fake.set_root_url(f"http://{args.host}:{args.port}")
        print(
            f"Slack sandbox: Web API {fake.base_url}  page http://{args.host}:{args.port}/sandbox/"
        )
        print(f"Delivering events to {args.events_url}. Ctrl-C to stop.", flush=True)
        await asyncio.Event().wait()
    finally:
        await fake.stop()
        await runner.cleanup()


def run(args: argparse.Namespace) -> int:
    try:
        if args.channels:
            channels = [c.strip() for c in args.channels.split(",") if c.strip()]
        else:
            channels = queue_channels()
    except DataFileError as exc:
        print(f"slack-sandbox: {exc}")
        return 2
    try:
        asyncio.run(serve(args, channels))
    except KeyboardInterrupt:
        pass
    return 0
