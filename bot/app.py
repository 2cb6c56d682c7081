"""The app factory: `create_app(settings)` builds everything; nothing happens at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime
from functools import partial

from aiohttp import web

from bot import keys
from bot.agent_load import agents_over_load
from bot.bus import Bus
from bot.chat import ChatService
from bot.clock import Clock, system_clock
from bot.conversation.engine import Engine
from bot.crisis_lane import CrisisLane
from bot.desk import Desk
from bot.lifecycle import purge_in_batches
from bot.lifecycle import register_deliveries as register_lifecycle_deliveries
from bot.outbox import OutboxWorker
from bot.periodic import Periodic
from bot.pgbus import PgBusTransport, asyncpg_dsn
from bot.ratelimit import RateLimiter
from bot.routing import load_routing
from bot.settings import DEV_BOT_TOKEN, Settings
from bot.slack import build_bolt_app, build_client
from bot.store.db import Database
from bot.store.migrate import ensure_migrated
from bot.toolkit import install as install_toolkit

log = logging.getLogger(__name__)

# Requests larger than this are refused before they are read (a chat message is at most
# 4,000 characters; Slack's payloads are far smaller than this too).
MAX_BODY_BYTES = 256 * 1024
# Transcripts past the retention period are purged this often (once, across instances).
PURGE_EVERY_S = 6 * 3600


def create_app(
    settings: Settings, *, clock: Clock = system_clock, engine: Engine | None = None
) -> web.Application:
    """Build the web app: chat, REST API, Slack endpoint, sandbox, health.

    Args:
        settings: the typed configuration.
        clock: where "now" comes from (tests pass a fake one).
        engine: an already loaded conversation engine to share (it is immutable);
            loaded from the settings' data files when None.
    """
    from handlers import register
    from handlers.chat_ws import OpenSockets
    from handlers.middleware import middlewares

    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=middlewares())
    app[keys.SETTINGS] = settings
    app[keys.CLOCK] = clock
    db = Database(
        settings.database_url,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
    )
    routing = load_routing(settings.data_dir)
    if engine is None:
        engine = Engine.load(data_dir=settings.data_dir, default_region=settings.default_region)
    bus = Bus()
    client = build_client(settings)
    outbox = OutboxWorker(
        db=db,
        client=build_client(settings, retry_in_call=False),
        routing=routing,
        clock=clock,
        poll_s=settings.outbox_poll_s,
        alert_channel=settings.leads_channel,
    )
    app[keys.DB] = db
    app[keys.ROUTING] = routing
    app[keys.ENGINE] = engine
    app[keys.BUS] = bus
    app[keys.SLACK_CLIENT] = client
    app[keys.OUTBOX] = outbox
    app[keys.CHAT] = ChatService(
        db=db,
        engine=engine,
        routing=routing,
        bus=bus,
        clock=clock,
        token_secret=settings.token_secret,
        token_ttl_s=settings.token_ttl_s,
        max_chars=settings.max_message_chars,
        default_region=settings.default_region,
        on_outbox=outbox.nudge,
    )
    desk = Desk(db=db, engine=engine, bus=bus, clock=clock, on_outbox=outbox.nudge)
    app[keys.DESK] = desk
    app[keys.PERIODIC] = schedule_periodic_work(
        settings,
        db=db,
        clock=clock,
        desk=desk,
        lane=CrisisLane(
            db=db,
            engine=engine,
            routing=routing,
            bus=bus,
            reping_s=settings.crisis_reping_s,
            stay_s=settings.crisis_stay_s,
            oncall=settings.oncall,
            load=partial(
                agents_over_load,
                threshold=settings.agent_load_threshold,
                window_h=settings.agent_load_window_h,
                long_minutes=settings.long_case_minutes,
            ),
            on_outbox=outbox.nudge,
        ),
        outbox=outbox,
    )
    install_toolkit(app)
    register_lifecycle_deliveries(outbox)
    app[keys.IP_LIMITER] = RateLimiter(
        rate_per_s=settings.ip_rate_per_s, burst=settings.ip_rate_burst
    )
    app[keys.CONVERSATION_LIMITER] = RateLimiter(rate_per_s=1, burst=10)
    bolt = build_bolt_app(settings, client)
    app[keys.BOLT] = bolt

    app[keys.CHAT_SOCKETS] = OpenSockets()
    app.on_shutdown.append(close_chat_sockets)
    app.cleanup_ctx.append(database_context)
    if db.is_postgres:
        app.cleanup_ctx.append(pg_bus_context)
    if settings.built_in_sandbox:
        from bot.slack_fake import SlackFake
        from bot.slack_fake.sandbox import mount_sandbox

        fake = SlackFake(
            signing_secret=settings.slack_signing_secret,
            bot_token=DEV_BOT_TOKEN,
            events_url=f"http://127.0.0.1:{settings.port}/slack/events",
            channels=routing.channels(),
            clock=lambda: clock().timestamp(),
        )
        app[keys.SLACK_FAKE] = fake
        mount_sandbox(app, fake)
        app.cleanup_ctx.append(sandbox_context)
    app.cleanup_ctx.append(outbox_context)
    app.cleanup_ctx.append(periodic_context)
    register(bolt, app)
    return app


async def close_chat_sockets(app: web.Application) -> None:
    """At shutdown, once the server has stopped listening (handlers/chat_ws.py)."""
    await app[keys.CHAT_SOCKETS].close_all()


async def database_context(app: web.Application) -> AsyncIterator[None]:
    db = app[keys.DB]
    settings = app[keys.SETTINGS]
    await ensure_migrated(db, auto=settings.should_auto_migrate)
    yield
    await app[keys.CHAT].close()
    await db.close()


async def pg_bus_context(app: web.Application) -> AsyncIterator[None]:
    transport = PgBusTransport(dsn=asyncpg_dsn(app[keys.DB].url), bus=app[keys.BUS])
    await transport.start()
    # Events in flight when a process died are retried by Slack, maybe after later ones:
    # every instance reads threads back for missed replies again (bot/desk.py).
    await app[keys.DESK].event_failed()
    yield
    await transport.stop()


async def sandbox_context(app: web.Application) -> AsyncIterator[None]:
    fake = app[keys.SLACK_FAKE]
    app[keys.SLACK_CLIENT].base_url = app[keys.OUTBOX].client.base_url = await fake.start()
    log.info("Slack sandbox running: open /sandbox to see the cards")
    yield
    await fake.stop()


async def outbox_context(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[keys.OUTBOX].run(), name="outbox")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def schedule_periodic_work(
    settings: Settings,
    *,
    db: Database,
    clock: Clock,
    desk: Desk,
    lane: CrisisLane,
    outbox: OutboxWorker,
) -> Periodic:
    periodic = Periodic(db=db, clock=clock, tick_s=settings.periodic_tick_s)
    # The lane checks often; each case is re-pinged / reassured on its own schedule.
    periodic.every(settings.periodic_tick_s, "crisis_reping", lane.reping)
    periodic.every(settings.periodic_tick_s, "crisis_stay", lane.stay_with_person)
    periodic.every(600, "forget_seen_keys", lambda _now: desk.forget_old_keys())

    async def purge_old_transcripts(now: datetime) -> None:
        await purge_in_batches(db, now=now, retention_days=settings.retention_days)
        outbox.nudge()  # Slack thread deletions may be queued

    periodic.every(PURGE_EVERY_S, "purge", purge_old_transcripts)
    return periodic


async def periodic_context(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[keys.PERIODIC].run(), name="periodic")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
