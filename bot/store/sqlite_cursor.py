"""One hop to aiosqlite's thread per SQLite statement, instead of four.

aiosqlite runs each sqlite3 call on its own thread and hands the result back to the event
loop: a hop that waits for the loop's next turn. SQLAlchemy's adapter makes four of them
per statement (open a cursor, execute, fetch the rows, close the cursor), so a chat
message's transaction took 20 hops, and under load each hop waited behind everyone
else's WebSocket frames while the transaction held SQLite's only write lock. This cursor
does the four calls in one function on that thread, as SQLAlchemy's own adapter already
does to set the isolation level.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util import EMPTY_DICT


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose results are read on aiosqlite's thread in one call."""

    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No cursor is opened here (the stock adapter spends a hop on it): each statement
        # opens and closes its own sqlite3 cursor on the driver's thread.
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
        raw = self._connection._conn  # the sqlite3 connection, used only on its thread

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
            ) = await self._connection._execute(run)
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
            self._rowcount, self._lastrowid = await self._connection._execute(run)
        self._description = None
        self._rows = collections.deque()
        return self

    async def _async_soft_close(self) -> None:
        return  # nothing is open between statements

    def close(self) -> None:
        self._rows.clear()


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor


def use_one_hop_cursors(dbapi_connection: Any) -> None:
    """Make a freshly opened aiosqlite connection (SQLAlchemy's adapter) use OneHopCursor.

    The stock adapter is kept if it is not the class this was written against.
    """
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneHopConnection
