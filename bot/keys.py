"""Typed keys for what the web app shares between handlers and cleanup contexts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.bus import Bus
from bot.chat import ChatService
from bot.conversation.engine import Engine
from bot.desk import Desk
from bot.outbox import OutboxWorker
from bot.periodic import Periodic
from bot.ratelimit import RateLimiter
from bot.routing import Routing
from bot.settings import Settings
from bot.store.db import Database

if TYPE_CHECKING:
    pass

SETTINGS = web.AppKey("settings", Settings)
CLOCK = web.AppKey("clock", Any)
DB = web.AppKey("db", Database)
ENGINE = web.AppKey("engine", Engine)
ROUTING = web.AppKey("routing", Routing)
BUS = web.AppKey("bus", Bus)
CHAT = web.AppKey("chat", ChatService)
DESK = web.AppKey("desk", Desk)
OUTBOX = web.AppKey("outbox", OutboxWorker)
PERIODIC = web.AppKey("periodic", Periodic)
BOLT = web.AppKey("bolt", AsyncApp)
SLACK_CLIENT = web.AppKey("slack_client", AsyncWebClient)
SLACK_FAKE = web.AppKey("slack_fake", "SlackFake")
IP_LIMITER = web.AppKey("ip_limiter", RateLimiter)
CONVERSATION_LIMITER = web.AppKey("conversation_limiter", RateLimiter)
CHAT_SOCKETS = web.AppKey("chat_sockets", "OpenSockets")  # handlers/chat_ws.py
