"""The person's live chat over WebSocket (/chat/ws).

Protocol (JSON text frames):
  → {"type": "hello", "conversation_id", "token", "after": SEQ}   first frame, always
  ← {"type": "ready", "state", "case_ref"}, then every message after SEQ
  → {"type": "message", "text", "client_id"}     ← {"type": "ack", "client_id", "seq"}
  ← {"type": "message", "message": {"seq", "sender", "text", "at", "author"?, "links"?}}
  ← {"type": "state", "state"}                    ← {"type": "error", "error": {code, message}}
  ← {"type": "typing", "author", "ttl_s"}   the agent is writing (0: stopped); never stored
Messages reach the socket in `seq` order, each once: a reconnecting client that says which
`seq` it has seen gets exactly what it missed. The socket reads the store for them, except
when it already holds them: the messages its own post just stored, when they follow on
from the last one it sent, go straight out, and a bus notice that says the case is at a
`seq` the socket has already sent is news it has.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
import weakref
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSCloseCode, WSMsgType, web

from bot import keys
from bot.bus import notice_seq
from bot.chat import Posted
from bot.errors import DomainError, Forbidden, Gone
from bot.store import messages as message_store
from bot.store.models import Case, Message
from bot.typing import typing_frame
from handlers.chat_api import MAX_SEQ, message_json, storable
from handlers.ratelimits import allow_socket_message, check_ip, client_ip

# The longest escape JSON has for one character is 12 bytes (an astral character written
# as two \uXXXX escapes, as Python's json.dumps does), so a frame carrying the longest
# accepted message fits in 12 bytes a character plus room for the envelope and client_id.
FRAME_BYTES_PER_CHAR = 12
FRAME_ENVELOPE_BYTES = 4 * 1024


def max_frame_bytes(max_message_chars: int) -> int:
    """The largest frame read: bigger ones close the socket with 1009 (RFC 6455 §7.4.1)."""
    return max_message_chars * FRAME_BYTES_PER_CHAR + FRAME_ENVELOPE_BYTES


HELLO_TIMEOUT_S = 10
# At shutdown the sockets get this long to say goodbye: a close waits for the client's
# reply, and for the handler if it is busy, but the server must stop in time.
GOODBYE_TIMEOUT_S = 2.0
HEARTBEAT_S = 30
SAFETY_POLL_S = 10
# After a read of the store failed, the socket tries again after this long, doubled after
# each further failure up to SAFETY_POLL_S, with jitter: a database restart must not be
# met by every open socket at once, every second.
CATCH_UP_RETRY_S = 1.0

log = logging.getLogger(__name__)


def origin_allowed(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser (a platform backend, a test client)
    settings = request.app[keys.SETTINGS]
    allowed = {f"{request.scheme}://{request.host}"}
    if settings.trusted_proxy_hops > 0:
        # A proxy that ends TLS (Heroku's router) talks http to us while the person's
        # browser, on our own https page, sends `Origin: https://<host>`; the proxy says
        # which scheme the browser used. Only our own host is added, whatever it says.
        for scheme in request.headers.get("X-Forwarded-Proto", "").split(","):
            if scheme.strip().lower() in ("http", "https"):
                allowed.add(f"{scheme.strip().lower()}://{request.host}")
    public_url = settings.public_url
    if public_url:
        parts = urlsplit(public_url)
        allowed.add(f"{parts.scheme}://{parts.netloc}")
    return origin in allowed


async def chat_socket(request: web.Request) -> web.WebSocketResponse:
    if not origin_allowed(request):
        raise Forbidden("origin_not_allowed", "This origin may not open the chat.")
    check_ip(request)  # before the upgrade, so a refusal is a plain 429 with Retry-After
    frame_limit = max_frame_bytes(request.app[keys.SETTINGS].max_message_chars)
    ws = web.WebSocketResponse(max_msg_size=frame_limit, heartbeat=HEARTBEAT_S)
    await ws.prepare(request)
    if not await request.app[keys.CHAT_SOCKETS].admit(ws):
        return ws  # the server is stopping: told to go elsewhere
    try:
        await ChatSocket(request, ws).run()
    except Exception:
        # The connection is a WebSocket now: an HTTP error page written on it would reach
        # the client as a garbled frame. 1011 tells it to reconnect and re-send what was
        # not acknowledged (RFC 6455 §7.4.1).
        log.exception("chat socket failed")
        await ws.close(code=WSCloseCode.INTERNAL_ERROR, message=b"internal error")
    return ws


class OpenSockets:
    """The people's open chat sockets. When the server stops, each is closed with 1001
    "going away" (RFC 6455 §7.4.1) and the widget reconnects to another instance and
    resumes by `seq`; otherwise its handler, which runs until the socket closes, would keep
    the server waiting out its shutdown timeout."""

    def __init__(self) -> None:
        self._open: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()
        self._closing = False

    async def admit(self, ws: web.WebSocketResponse) -> bool:
        """Track a socket just opened; False (and closed) if the server is stopping."""
        if self._closing:
            await _goodbye(ws)
            return False
        self._open.add(ws)
        return True

    async def close_all(self) -> None:
        self._closing = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(GOODBYE_TIMEOUT_S):
                await asyncio.gather(*map(_goodbye, list(self._open)), return_exceptions=True)


async def _goodbye(ws: web.WebSocketResponse) -> None:
    await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server restarting")


class ChatSocket:
    def __init__(self, request: web.Request, ws: web.WebSocketResponse) -> None:
        self.app = request.app
        self.chat = request.app[keys.CHAT]
        self.engine = request.app[keys.ENGINE]
        self.bus = request.app[keys.BUS]
        self.ws = ws
        self.ip = client_ip(request)
        self.case_id = ""
        self.last_seq = 0
        self.last_state: str | None = None
        self.send_lock = asyncio.Lock()

    async def send(self, frame: dict[str, Any]) -> None:
        async with self.send_lock:
            await self._send_locked(frame)

    async def _send_locked(self, frame: dict[str, Any]) -> None:
        if not self.ws.closed:
            await self.ws.send_str(json.dumps(frame))

    async def error(self, code: str, message: str) -> None:
        await self.send(error_frame(code, message))

    async def run(self) -> None:
        if not await self.hello():
            return
        notifications = self.bus.subscribe(self.case_id)
        pump = asyncio.create_task(self.pump(notifications))
        try:
            await self.flush()
            async for frame in self.ws:
                if frame.type != WSMsgType.TEXT:
                    if frame.type == WSMsgType.BINARY:
                        await self.error("bad_frame", "Send JSON text frames.")
                    continue
                await self.handle(frame.data)
        finally:
            self.bus.unsubscribe(self.case_id, notifications)
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    async def hello(self) -> bool:
        try:
            frame = await self.ws.receive(timeout=HELLO_TIMEOUT_S)
        except TimeoutError:
            await self.ws.close(code=1008, message=b"hello expected")
            return False
        data = parse(frame.data) if frame.type == WSMsgType.TEXT else None
        if (
            not data
            or data.get("type") != "hello"
            or not isinstance(data.get("conversation_id"), str)
        ):
            await self.error("hello_expected", 'Start with {"type": "hello", ...}.')
            await self.ws.close(code=1008, message=b"hello expected")
            return False
        try:
            self.chat.authorize(data["conversation_id"], data.get("token"))
            after = data.get("after", 0)
            if type(after) is not int or not 0 <= after <= MAX_SEQ:
                raise DomainError("after_invalid", f"`after` must be an integer, 0 to {MAX_SEQ}.")
            case = await self.chat.case(case_id=data["conversation_id"])
            if after > case.last_seq:
                # No client was sent a seq the store does not have: from here, every new
                # message would look already seen, and the socket would send nothing.
                raise DomainError(
                    "after_invalid",
                    f"`after` is past this conversation's last message ({case.last_seq}).",
                )
        except DomainError as exc:
            await self.error(exc.code, exc.message)
            await self.ws.close(code=1008, message=exc.code.encode())
            return False
        self.case_id, self.last_seq = case.id, after
        self.last_state = case.status
        await self.send({"type": "ready", "state": case.status, "case_ref": case.ref})
        return True

    async def handle(self, raw: str) -> None:
        data = parse(raw)
        if data is None:
            await self.error("invalid_json", "Frames must be JSON objects.")
            return
        kind = data.get("type")
        if kind == "ping":
            await self.send({"type": "pong"})
            return
        if kind != "message":
            await self.error("unknown_type", 'Send {"type": "message", "text": ...}.')
            return
        retry_after = allow_socket_message(self.app, self.ip, self.case_id)
        if retry_after is not None:
            # 1008 "policy violation" (RFC 6455 §7.4.1): the client may reconnect and
            # resume by `seq` once the budget refills.
            await self.send(
                error_frame(
                    "rate_limited",
                    "You are sending messages too quickly.",
                    client_id=data.get("client_id"),
                    retry_after=max(1, math.ceil(retry_after)),
                )
            )
            await self.ws.close(code=1008, message=b"rate limited")
            return
        client_id = data.get("client_id")
        # Held across the post: the ack goes out before the messages it stored, and the bus
        # notice the post publishes finds this socket already past them (no second read).
        async with self.send_lock:
            try:
                posted = await self.chat.post(
                    case_id=self.case_id, text=data.get("text"), client_id=client_id
                )
            except DomainError as exc:
                await self._send_locked(error_frame(exc.code, exc.message, client_id=client_id))
                if isinstance(exc, Gone):
                    await self.ws.close(code=1008, message=exc.code.encode())
                return
            except Exception:
                # Not stored: the client keeps the message and re-sends it on reconnect.
                await self._send_locked(
                    error_frame(
                        "internal", "Something went wrong on our side.", client_id=client_id
                    )
                )
                raise
            await self._send_locked(
                {"type": "ack", "client_id": client_id, "seq": posted.user_message.seq}
            )
            await self._deliver_posted(posted)

    async def _deliver_posted(self, posted: Posted) -> None:
        """Send what the socket's own post stored, reading the store only when it must."""
        stored = [posted.user_message, *posted.messages]
        if posted.decision is None or not follows_on(stored, self.last_seq):
            # A re-sent message, or messages this socket has not sent lie between (an
            # agent's note, a message from another tab): the store has them all, in order.
            await self._flush_locked()
            return
        await self._send_messages_locked(stored)
        await self._send_state_locked(posted.case)

    async def pump(self, notifications: asyncio.Queue[str]) -> None:
        wait_s = SAFETY_POLL_S
        failures = 0
        while True:
            notice = ""
            # A notification lost between instances costs at most this much delay.
            # asyncio.timeout, not wait_for, which on Python 3.11 can swallow the cancel
            # that closes the socket if it lands as a notice arrives (CPython issue 86296).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait_s):
                    notice = await notifications.get()
            try:
                typing = typing_frame(notice)
                if typing is not None:
                    await self.send(typing)  # ephemeral: it rides the notification itself
                    continue
                await self.flush(unless_sent=notice_seq(notice))
                failures, wait_s = 0, SAFETY_POLL_S
            except Exception as exc:
                # The store did not answer (a restart, a failover) or the send failed: the
                # socket stays open and reads again soon, from the last seq it sent, so
                # nothing is missed. Left to end, the pump would leave the socket deaf.
                if not failures:
                    log.warning("chat socket could not catch up, retrying: %r", exc)
                failures += 1
                backoff = min(SAFETY_POLL_S, CATCH_UP_RETRY_S * 2 ** (failures - 1))
                wait_s = backoff * (0.5 + random.random() / 2)

    async def flush(self, *, unless_sent: int | None = None) -> None:
        """Send whatever the store has after the last message this socket sent.

        Args:
            unless_sent: the case's latest `seq` as a notice told it; nothing is read when
                the socket has already sent that far (its own post's messages, say).
        """
        async with self.send_lock:
            if unless_sent is not None and self.last_seq >= unless_sent:
                return
            try:
                await self._flush_locked()
            except Gone as exc:  # erased while the socket was open: 1008, as at hello
                await self._send_locked(error_frame(exc.code, exc.message))
                await self.ws.close(code=1008, message=exc.code.encode())

    async def _flush_locked(self) -> None:
        while True:  # page by page: a long absence can leave more than one read returns
            case, messages = await self.chat.history(case_id=self.case_id, after=self.last_seq)
            await self._send_messages_locked(messages)
            if len(messages) < message_store.PAGE or self.ws.closed:
                break
        await self._send_state_locked(case)

    async def _send_messages_locked(self, messages: list[Message]) -> None:
        for message in messages:
            if self.ws.closed:
                return
            await self.ws.send_str(
                json.dumps({"type": "message", "message": message_json(message, self.engine)})
            )
            self.last_seq = message.seq

    async def _send_state_locked(self, case: Case) -> None:
        if case.status != self.last_state and not self.ws.closed:
            self.last_state = case.status
            await self.ws.send_str(
                json.dumps({"type": "state", "state": case.status, "case_ref": case.ref})
            )


def error_frame(code: str, message: str, **fields: Any) -> dict[str, Any]:
    """An error frame, with `fields` such as the client_id of the message it refuses."""
    return {"type": "error", **fields, "error": {"code": code, "message": message}}


def follows_on(messages: list[Message], last_seq: int) -> bool:
    """True if `messages` are the person's to see and numbered last_seq+1, +2, … in turn."""
    return all(
        message.seq == last_seq + n and not message.internal
        for n, message in enumerate(messages, start=1)
    )


def parse(raw: object) -> dict[str, Any] | None:
    try:
        data = json.loads(raw) if isinstance(raw, str) else None
    except (ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) and storable(data) else None
