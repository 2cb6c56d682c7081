"""SQLite statements run on the event loop's thread, not on aiosqlite's.

aiosqlite runs each sqlite3 call on a thread of its own and hands the result back to the
event loop. Each hand-over needs the GIL twice, and a thread that waits for the GIL while
the loop is busy (releasing it only for an instant at each select) can lose the race for
it again and again: under load, a statement that takes 0.2 ms of SQLite's time took 0.2 to
1.5 s to come back (measured on a 2-core machine with the loop 50 % busy; inline, 0.3 to
0.9 ms). A local SQLite statement is short CPU work like the rest of a request, so it runs
inline: the cursor opens, executes, fetches and closes in one call, and commit and
rollback go straight to the connection. aiosqlite's thread still opens and closes
connections.

SQLite's own busy wait would block the loop while another process (`python -m bot
purge`, say) holds the write lock, so connections get `busy_timeout=0` and a statement
refused as busy is tried again after an asynchronous sleep, for up to SQLITE_BUSY_WAIT_S.
(Writers of this process already queue on the Database's lock; in WAL mode readers are
never refused.)
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_only

T = TypeVar("T")
# How long a statement refused as busy (another process holds the write lock) is retried.
SQLITE_BUSY_WAIT_S = 15.0
BUSY_BACKOFF_S = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1)


async def run_inline(call: Callable[[], T]) -> T:
    """`call` (sqlite3 work) on this thread; refused as busy, tried again after a sleep."""
    waited = 0.0
    attempt = 0
    while True:
        try:
            return call()
        except sqlite3.OperationalError as exc:
            busy = (getattr(exc, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY
            if not busy or waited >= SQLITE_BUSY_WAIT_S:
                raise
        pause = BUSY_BACKOFF_S[min(attempt, len(BUSY_BACKOFF_S) - 1)]
        await asyncio.sleep(pause)
        waited += pause
        attempt += 1


class InlineCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statements run, and are read, in one call on this thread."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No cursor is opened here: each statement opens and closes its own sqlite3 cursor.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        raw = self._connection._conn  # the sqlite3 connection

        def run() -> tuple[Any, int, int | None, list[Any] | None]:
            cursor = raw.cursor()
            try:
                if parameters is None:
                    cursor.execute(operation)
                else:
                    cursor.execute(operation, parameters)
                rows = cursor.fetchall() if cursor.description else None
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows
            finally:
                cursor.close()

        async with self._adapt_connection._execute_mutex:
            (
                self._description,
                self._rowcount,
                self._lastrowid,
                rows,
            ) = await run_inline(run)
        self._rows = collections.deque(rows or ())
        return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        raw = self._connection._conn

        def run() -> tuple[int, int | None]:
            cursor = raw.cursor()
            try:
                cursor.executemany(operation, seq_of_parameters)
                return cursor.rowcount, cursor.lastrowid
            finally:
                cursor.close()

        async with self._adapt_connection._execute_mutex:
            self._rowcount, self._lastrowid = await run_inline(run)
        self._description = None
        self._rows = collections.deque()
        return self

    async def _async_soft_close(self) -> None:
        return  # nothing is open between statements

    def close(self) -> None:
        self._rows.clear()


class InlineConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = InlineCursor

    def commit(self) -> None:
        self._inline(lambda raw: raw.commit())

    def rollback(self) -> None:
        self._inline(lambda raw: raw.rollback())

    def _inline(self, work: Callable[[sqlite3.Connection], None]) -> None:
        raw = self._connection._connection  # None once aiosqlite has closed it
        if raw is None:
            return
        try:
            await_only(run_inline(lambda: work(raw)))
        except Exception as error:
            self._handle_exception(error)


def use_inline_statements(dbapi_connection: Any) -> None:
    """Make a freshly opened aiosqlite connection (SQLAlchemy's adapter) run its statements,
    commits and rollbacks on this thread. It must have been opened with
    `check_same_thread=False` (bot/store/db.py).

    The stock adapter is kept if it is not the class this was written against.
    """
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = InlineConnection
