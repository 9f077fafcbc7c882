"""The SQLite connections behind the SQLite store: inline reads, group-committed writes.

Reads run at once on a read-only connection (WAL readers never wait for the writer and see
every committed write). Writes are functions of the write connection: those that arrive
together run in ONE transaction (each in its own savepoint, so one failure does not undo the
others) and ONE commit; writes arriving meanwhile wait in the socket buffers and the queue and
form the next batch. Callers are answered only after their commit returns. With WAL and
`synchronous=FULL` a returned commit is on disk, so an answered write survives `kill -9` and
power loss, and the cost of that sync is shared by every write in the batch.

Everything runs on the event loop thread: measured here, handing the COMMIT (a ~0.3 ms WAL
sync) to a worker thread cost more in GIL hand-offs than it saved, raising CPU per write by a
third and lowering throughput.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mfstack.service.migrations import load

T = TypeVar("T")
Op = Callable[[sqlite3.Connection], Any]
Outcome = tuple[asyncio.Future[Any], Any, BaseException | None]
MAX_BATCH = 512


class SqliteDb:
    """`await db.read(fn)` / `await db.write(fn)` return `fn(connection)`."""

    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        self.path = path
        self.synchronous = synchronous
        self._writer: sqlite3.Connection | None = None
        self._reader: sqlite3.Connection | None = None
        self._pending: list[tuple[Op, asyncio.Future[Any]]] = []
        self._draining: asyncio.Task[None] | None = None

    def connect(self, read_only: bool = False) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=10000")
        if read_only:
            conn.execute("PRAGMA query_only=ON")
            return conn
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    async def start(self) -> None:
        self._writer = await asyncio.to_thread(self.connect)
        self._reader = await asyncio.to_thread(self.connect, True)

    async def stop(self) -> None:
        if self._draining is not None:
            await self._draining
        for conn in (self._writer, self._reader):
            if conn is not None:
                conn.close()
        self._writer = self._reader = None

    async def read(self, op: Callable[[sqlite3.Connection], T]) -> T:
        assert self._reader is not None, "database not started"
        return op(self._reader)

    async def write(self, op: Callable[[sqlite3.Connection], T]) -> T:
        assert self._writer is not None, "database not started"
        fut: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((op, fut))
        if self._draining is None:
            self._draining = asyncio.get_running_loop().create_task(self._drain())
        return await fut

    async def _drain(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                _deliver(await self._commit(batch))
        finally:
            self._draining = None

    async def _commit(self, batch: list[tuple[Op, asyncio.Future[Any]]]) -> list[Outcome]:
        conn = self._writer
        assert conn is not None
        try:
            outcomes = _execute(conn, batch)
            conn.execute("COMMIT")
        except Exception as exc:  # the transaction failed as a whole: nothing of this batch is stored
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return [(fut, None, exc) for _, fut in batch]
        return outcomes


def _execute(conn: sqlite3.Connection, batch: list[tuple[Op, asyncio.Future[Any]]]) -> list[Outcome]:
    """Run a batch inside one open transaction (left open for the caller to commit)."""
    out: list[Outcome] = []
    conn.execute("BEGIN IMMEDIATE")
    for op, fut in batch:
        conn.execute("SAVEPOINT op")
        try:
            out.append((fut, op(conn), None))
        except Exception as exc:
            conn.execute("ROLLBACK TO op")
            out.append((fut, None, exc))
        conn.execute("RELEASE op")
    return out


def _deliver(outcomes: list[Outcome]) -> None:
    for fut, value, exc in outcomes:
        if fut.done():  # the caller went away (client disconnected)
            continue
        if exc is not None:
            fut.set_exception(exc)
        else:
            fut.set_result(value)


def current_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def pending_versions(conn: sqlite3.Connection) -> list[int]:
    current = current_version(conn)
    return [m.version for m in load("sqlite") if m.version > current]


def migrate(conn: sqlite3.Connection) -> list[int]:
    """Apply every pending migration inside the caller's transaction; returns the versions applied."""
    applied = []
    for m in load("sqlite"):
        if m.version <= current_version(conn):
            continue
        for statement in _statements(m.up):
            conn.execute(statement)
        conn.execute(f"PRAGMA user_version={m.version}")
        applied.append(m.version)
    return applied


def _statements(sql: str) -> list[str]:
    """Split a migration file into complete statements."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return [s for s in out if s.strip(" ;\n")]
