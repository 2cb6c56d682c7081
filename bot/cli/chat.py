"""`python -m bot chat`: talk to the bot in the terminal, on the local store.

Hand-off cards are printed as an agent would see them; they stay in the outbox and reach
Slack the next time the server runs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.bus import Bus
from bot.chat import ChatService
from bot.clock import system_clock
from bot.conversation.engine import Engine
from bot.outbox import OutboxWorker
from bot.routing import load_routing
from bot.settings import Settings
from bot.slack import build_client
from bot.store import cases as case_store
from bot.store.db import Database
from bot.store.migrate import ensure_migrated


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("chat", help="a conversation with the bot in this terminal")
    parser.add_argument("--locale", help="en, sv, en-GB, sv-SE, ...")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        asyncio.run(_run(Settings(), locale=args.locale))
    except (EOFError, KeyboardInterrupt):
        sys.stdout.write("\n")
    return 0


async def _run(settings: Settings, *, locale: str | None) -> None:
    db = Database(settings.database_url)
    await ensure_migrated(db, auto=settings.should_auto_migrate)
    routing = load_routing(settings.data_dir)
    engine = Engine.load(data_dir=settings.data_dir, default_region=settings.default_region)
    chat = ChatService(
        db=db,
        engine=engine,
        routing=routing,
        bus=Bus(),
        clock=system_clock,
        token_secret=settings.token_secret,
        token_ttl_s=settings.token_ttl_s,
        max_chars=settings.max_message_chars,
        default_region=settings.default_region,
    )
    cards = OutboxWorker(
        db=db,
        client=build_client(settings, retry_in_call=False),
        routing=routing,
        clock=system_clock,
    )
    try:
        started = await chat.start(locale=locale)
        say(f"[case {started.case.ref}]")
        for message in started.messages:
            say(f"bot: {message.text}")
        loop = asyncio.get_running_loop()
        while True:
            text = await loop.run_in_executor(None, input, "you: ")
            if not text.strip():
                continue
            posted = await chat.post(case_id=started.case.id, text=text)
            for message in posted.messages:
                say(f"{message.sender}: {message.text}")
            if posted.decision and posted.decision.handoff:
                await print_card(db, cards, started.case.id)
    finally:
        await db.close()


async def print_card(db: Database, cards: OutboxWorker, case_id: str) -> None:
    from bot.cards import build_card

    async with db.transaction() as session:
        case = await case_store.get_case(session, case_id=case_id)
        handoff = await case_store.open_handoff(session, case_id=case_id)
        assert case is not None and handoff is not None
    view = cards.card_view(case, handoff, earlier=[])
    channel = cards.routing.queue(handoff.queue).channel
    say(f"\n--- card for #{channel} ---")
    for block in build_card(view):
        say(render_block(block))
    say("---\n")


def render_block(block: dict[str, Any]) -> str:
    if block["type"] == "header":
        return f"== {block['text']['text']} =="
    if block["type"] == "section" and "fields" in block:
        return "\n".join(f["text"].replace("\n", ": ") for f in block["fields"])
    if block["type"] == "section":
        return str(block["text"]["text"])
    if block["type"] == "context":
        return " ".join(e["text"] for e in block["elements"])
    if block["type"] == "actions":
        return " ".join(f"[{e['text']['text']}]" for e in block["elements"])
    return ""


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()
