"""The bus when its connection to PostgreSQL goes silent (a network or a server that stops
answering without closing): a publish gives up in seconds and delivers on this instance,
so the chat's writes, which wait for it, do not hang."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from bot import pgbus
from bot.bus import Bus
from bot.pgbus import PgBusTransport, asyncpg_dsn


class SilentableProxy:
    """A TCP proxy on 127.0.0.1 in front of PostgreSQL that can stop passing bytes on."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.silent = asyncio.Event()
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._connect, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        await asyncio.gather(
            self._pipe(reader, up_writer), self._pipe(up_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.silent.is_set():
                    continue  # swallowed: the far side never hears it, and nothing closes
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()


@pytest.fixture
async def proxied_dsn(database_url: str) -> AsyncIterator[tuple[str, SilentableProxy]]:
    if not database_url.startswith("postgresql"):
        pytest.skip("the bus across instances runs on PostgreSQL")
    dsn = asyncpg_dsn(database_url)
    parts = urlsplit(dsn)
    proxy = SilentableProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    port = await proxy.start()
    yield dsn.replace(parts.netloc, f"{parts.username}@127.0.0.1:{port}", 1), proxy
    await proxy.stop()


async def test_a_publish_on_a_silent_connection_gives_up_and_delivers_here(
    proxied_dsn: tuple[str, SilentableProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    dsn, proxy = proxied_dsn
    monkeypatch.setattr(pgbus, "PUBLISH_TIMEOUT_S", 0.5, raising=False)
    bus = Bus()
    transport = PgBusTransport(dsn=dsn, bus=bus)
    await transport.start()
    try:
        heard = bus.subscribe("case-1")
        await transport.publish([("case-1", "messages")])
        assert await asyncio.wait_for(heard.get(), 2) == "messages"  # through PostgreSQL

        proxy.silent.set()
        started = time.monotonic()
        await asyncio.wait_for(transport.publish([("case-1", "messages")]), 5)

        assert time.monotonic() - started < 2
        assert heard.get_nowait() == "messages"  # this instance's sockets still hear it

        # The next ones, two at once as two lanes of chat writes send them, do not wait.
        started = time.monotonic()
        await asyncio.gather(
            transport.publish([("case-1", "messages")]),
            transport.publish([("case-1", "messages/7")]),
        )
        assert time.monotonic() - started < 0.2
        assert [heard.get_nowait(), heard.get_nowait()] == ["messages", "messages/7"]
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(transport.stop(), 5)
