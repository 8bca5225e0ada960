"""SQLAlchemy's aiosqlite dialect with one thread hand-off per statement instead of four,
and none for the commit or rollback that ends a read.

aiosqlite runs its SQLite connection in a thread of its own; SQLAlchemy's adapter asks that
thread for a cursor, then to execute, then to fetch the rows, then to close the cursor: four
round trips through a queue and the event loop for every statement, each dearer than the
statement itself on a local file (`bench/projection.py`: a projection event is about fifteen
statements). This dialect's cursor does all four in the one call, in aiosqlite's thread, with
the driver, the connection and everything else as SQLAlchemy's own. Server-side cursors (none
of ours) are left as they were.

`db.engine.make_engine` uses it for every `sqlite+aiosqlite` URL."""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from threading import Thread
from typing import Any

from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
    SQLiteDialect_aiosqlite,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

#: The driver name of this dialect in a URL (`sqlite+motcua_aiosqlite:///…`).
DRIVER = "motcua_aiosqlite"


def _run(
    connection: sqlite3.Connection, many: bool, operation: str, parameters: Any
) -> tuple[Any, list[Any] | None, int, int | None]:
    """In aiosqlite's thread: the statement, its rows, rowcount and lastrowid, cursor closed."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection) -> None:
        # no aiosqlite cursor: each statement gets its own sqlite3 cursor in the thread
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

    async def _async_soft_close(self) -> None:
        return  # nothing is open in the thread

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._one_hop(False, operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        try:
            return await_(self._one_hop(True, operation, seq_of_parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _one_hop(self, many: bool, operation: Any, parameters: Any) -> None:
        connection = self._connection
        async with self._adapt_connection._execute_mutex:
            description, rows, rowcount, lastrowid = await connection._execute(
                _run, connection._conn, many, operation, parameters
            )
        self._description = description
        self._rows = collections.deque(rows) if rows is not None else collections.deque()
        self._rowcount = rowcount
        self._lastrowid = lastrowid


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor

    # The sqlite3 module opens a transaction before a DML statement only, never for a SELECT,
    # and its own commit and rollback do nothing outside one. So the commit or rollback that
    # ends every read (the pool's reset of a connection coming back, a read-only session's
    # commit) is asked of aiosqlite's thread only when a transaction is open: a request that
    # only read makes no hand-off for it. `in_transaction` is read from this thread as
    # aiosqlite's own property does; no statement of this connection runs meanwhile.
    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def _in_transaction(self) -> bool:
        connection = self._connection._connection
        return connection is not None and connection.in_transaction


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        creator_fn = kw.pop("async_creator_fn", None)
        if creator_fn:
            connection = creator_fn(*arg, **kw)
        else:
            connection = self.aiosqlite.connect(*arg, **kw)
            if isinstance(connection, Thread):
                connection.daemon = True  # aiosqlite before 0.22
            else:
                connection._thread.daemon = True
        return OneHopConnection(self, await_(connection))


class OneHopSQLiteDialect(SQLiteDialect_aiosqlite):
    driver = DRIVER
    supports_statement_cache = True

    @classmethod
    def import_dbapi(cls) -> OneHopDBAPI:
        import aiosqlite

        return OneHopDBAPI(aiosqlite, sqlite3)


dialect = OneHopSQLiteDialect

registry.register(f"sqlite.{DRIVER}", __name__, "OneHopSQLiteDialect")
