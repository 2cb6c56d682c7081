"""Database engines and sessions: SQLite (WAL) by default, PostgreSQL via asyncpg."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.sqlite_cursor import use_inline_statements

READ_ONLY = "supportbot_read_only"
# Set on an error raised while the engine opens a connection: `unreachable` blames the
# database for those only, not for a refused or unresolved address elsewhere (HOST, Slack).
OPENING_CONNECTION = "supportbot_opening_connection"


def create_engine(
    database_url: str, *, pool_size: int = 10, max_overflow: int = 10, **kwargs: Any
) -> AsyncEngine:
    """An engine for `database_url`; `pool_size` and `max_overflow` bound its PostgreSQL
    connections (SQLite is one file, written by one connection at a time)."""
    # A database error's message would otherwise quote the statement's parameters, the
    # person's words among them, into whatever logs it.
    kwargs.setdefault("hide_parameters", True)
    if database_url.startswith("sqlite"):
        # Statements run on the loop's thread (bot/store/sqlite_cursor.py); aiosqlite's
        # thread only opens and closes the connection.
        kwargs.setdefault("connect_args", {"check_same_thread": False})
        engine = create_async_engine(database_url, **kwargs)
        _configure_sqlite(engine)
        _mark_connect_errors(engine)
        return engine
    engine = create_async_engine(
        database_url, pool_size=pool_size, max_overflow=max_overflow, **kwargs
    )
    _configure_postgres(engine)
    _mark_connect_errors(engine)
    return engine


def _mark_connect_errors(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "do_connect")
    def _do_connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except Exception as exc:
            setattr(exc, OPENING_CONNECTION, True)
            raise


def _configure_postgres(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        # A connection the server closed (a restart, a failover, an idle timeout) is known
        # to be closed by the time it is checked out: asyncpg saw its socket close. The
        # pool then opens a fresh one. This costs nothing, where pool_pre_ping cost three
        # round trips (BEGIN; ";"; ROLLBACK) before every transaction. A connection that
        # dies in the instant before its checkout fails its first statement instead:
        # SQLAlchemy then drops the whole pool, and a failed chat batch is written again
        # one message at a time (bot/chat.py), on fresh connections.
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the database closed this connection")


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        use_inline_statements(dbapi_connection)
        # Take over transaction control from the driver so that we can BEGIN IMMEDIATE:
        # a deferred transaction that reads and then writes fails at once with "database
        # is locked" instead of waiting its turn.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Waiting for another process's lock is done asynchronously instead, so that it
        # never blocks the event loop (bot/store/sqlite_cursor.py).
        cursor.execute("PRAGMA busy_timeout=0")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Readers need no write lock: in WAL mode they see a snapshot and never block.
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


class Database:
    """The engine and its session factory, opened and closed together."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        self.sessions = session_factory(self.engine)
        reads: dict[str, Any] = {READ_ONLY: True}
        if self.is_postgres:
            # Under READ COMMITTED each statement sees the latest commit whether or not it
            # is in a transaction, so a read-only one needs no BEGIN and COMMIT: two round
            # trips fewer, each costing more CPU than a small query. (A write put in a read
            # by mistake would commit at once: reads must only read.)
            reads["isolation_level"] = "AUTOCOMMIT"
        self.read_sessions = session_factory(self.engine.execution_options(**reads))
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits on success, rolls back on error."""
        if self._write_lock is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        # SQLite has one writer. Writers of this process queue here, in order, instead of
        # polling the file lock (whose back-off sleeps make the slow tail).
        async with self._write_lock, self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A unit of work that only reads: on SQLite a snapshot that does not take the write
        lock; on PostgreSQL statements outside any transaction, each seeing the latest commit."""
        async with self.read_sessions() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # any driver error means "not answering"
            return False

    async def close(self) -> None:
        await self.engine.dispose()


def unreachable(exc: BaseException) -> BaseException | None:
    """The reason a database could not be opened, if that is what `exc` says (its cause
    chain searched): refused or timed out, a host that does not resolve, PostgreSQL
    starting up or refusing the login or the database name, a SQLite file that cannot be
    opened. None for any other error, one raised elsewhere included: a HOST that does
    not resolve is no database's fault."""
    reason: BaseException | None = None
    opening = False
    chain: set[int] = set()
    seen: BaseException | None = exc
    while seen is not None and id(seen) not in chain:
        chain.add(id(seen))
        opening = opening or getattr(seen, OPENING_CONNECTION, False)
        if reason is None and _names_a_reason(seen):
            reason = seen
        seen = seen.__cause__ or seen.__context__
    return reason if opening else None


def _names_a_reason(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | socket.gaierror | TimeoutError):
        return True
    if isinstance(
        exc,
        asyncpg.PostgresConnectionError
        | asyncpg.InvalidCatalogNameError
        | asyncpg.InvalidAuthorizationSpecificationError
        | asyncpg.CannotConnectNowError,
    ):
        return True
    return isinstance(exc, sqlite3.OperationalError) and "unable to open" in str(exc)
