"""The bus across instances, on PostgreSQL itself: LISTEN/NOTIFY, no extra service.

Every instance listens on one channel; a publish is a NOTIFY that every instance (the
sender included) turns into a local delivery. The payload is "kind:case_id" (kind as
bot.bus has it: "messages", "messages/SEQ", a typing notice); it only says "case X has
news": the socket reads the messages from the store by `seq`, so a notification lost while
PostgreSQL restarts costs a little latency, never a message (the listener resyncs every
socket when it reconnects, and sockets also poll now and then).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import asyncpg

from bot.bus import MESSAGES, Bus
from bot.settings import rename_query_parameter

log = logging.getLogger(__name__)

CHANNEL = "supportbot_bus"
RECONNECT_MAX_S = 5.0
CLOSE_TIMEOUT_S = 2.0
# A NOTIFY answers in well under a millisecond. One that has not answered in this long
# (connecting included) is on a connection that stopped answering, a server or a network
# gone silent: the chat's writes wait for the publish, so it is given up and delivered
# locally instead, and so is every publish for the next PUBLISH_PAUSE_S, without waiting.
PUBLISH_TIMEOUT_S = 2.0
PUBLISH_PAUSE_S = 5.0
# PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more (docs: NOTIFY).
PAYLOAD_MAX_BYTES = 7999


async def _close(conn: asyncpg.Connection) -> None:
    """Close politely, but never wait long: a server that does not answer is not waited on
    while the app shuts down (asyncpg aborts the connection when the timeout passes)."""
    with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
        await conn.close(timeout=CLOSE_TIMEOUT_S)


def _payload(case_id: str, kind: str) -> str:
    payload = f"{kind}:{case_id}"
    if len(payload.encode()) > PAYLOAD_MAX_BYTES:
        # Too big to notify: plain message news instead, which makes sockets re-read the
        # store (a notice that carried a frame of its own loses only that frame).
        payload = f"{MESSAGES}:{case_id}"
    return payload


def asyncpg_dsn(database_url: str) -> str:
    """The store's SQLAlchemy URL as a DSN for asyncpg.connect: asyncpg's DSN parser knows
    libpq's `sslmode` and would send `ssl` to the server as a setting, which it refuses
    ("parameter ssl cannot be changed now"), so every bus connection would fail."""
    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    return rename_query_parameter(dsn, "ssl", "sslmode")


class PgBusTransport:
    def __init__(self, *, dsn: str, bus: Bus) -> None:
        self.dsn = dsn
        self.bus = bus
        self._listener: asyncio.Task[None] | None = None
        self._publisher: asyncpg.Connection | None = None
        self._publish_lock = asyncio.Lock()
        self._paused_until = 0.0  # monotonic: publish locally only until then
        self.connected = asyncio.Event()

    async def start(self) -> None:
        self._listener = asyncio.create_task(self._listen_forever(), name="pgbus-listen")
        self.bus.remote_publish = self.publish
        with contextlib.suppress(OSError, asyncpg.PostgresError, TimeoutError):
            self._publisher = await asyncpg.connect(self.dsn, timeout=5)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self.connected.wait()

    async def stop(self) -> None:
        self.bus.remote_publish = None
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        if self._publisher is not None:
            await _close(self._publisher)

    async def publish(self, notices: list[tuple[str, str]]) -> None:
        """NOTIFY every (case_id, kind) in one statement, in order."""
        payloads = [_payload(case_id, kind) for case_id, kind in notices]
        if time.monotonic() >= self._paused_until:
            try:
                async with asyncio.timeout(PUBLISH_TIMEOUT_S), self._publish_lock:
                    if self._publisher is None or self._publisher.is_closed():
                        self._publisher = await asyncpg.connect(self.dsn)
                    await self._publisher.execute(
                        "SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload",
                        CHANNEL,
                        payloads,
                    )
                return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("bus publish failed, delivering locally: %r", exc)
                self._paused_until = time.monotonic() + PUBLISH_PAUSE_S
                if self._publisher is not None:
                    self._publisher.terminate()  # in an unknown state: made again next time
                self._publisher = None
        # Sockets on this instance still hear it; others catch up by polling.
        for payload in payloads:
            kind, _, case_id = payload.partition(":")
            self.bus.deliver_local(case_id, kind)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        kind, _, case_id = payload.partition(":")
        if case_id:
            self.bus.deliver_local(case_id, kind)

    async def _listen_forever(self) -> None:
        delay = 0.2
        while True:
            closed = asyncio.Event()
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.dsn, timeout=5)
                conn.add_termination_listener(lambda _c, done=closed: done.set())
                await conn.add_listener(CHANNEL, self._on_notify)
                self.connected.set()
                delay = 0.2
                # Anything published while we were away: every socket re-reads the store.
                self.bus.resync_all()
                while not closed.is_set():
                    # A cheap query notices a dead server sooner than TCP would.
                    # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow
                    # a cancel that lands as the wait ends (CPython issue 86296), and a
                    # shutdown then waits for this loop forever.
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(5):
                            await closed.wait()
                    if not closed.is_set():
                        await conn.execute("SELECT 1", timeout=5)
            except asyncio.CancelledError:
                if conn is not None:
                    await _close(conn)
                raise
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("bus listener lost PostgreSQL (%s); reconnecting", exc)
            finally:
                self.connected.clear()
            if conn is not None and not conn.is_closed():
                conn.terminate()
            await asyncio.sleep(delay)
            delay = min(RECONNECT_MAX_S, delay * 2)
