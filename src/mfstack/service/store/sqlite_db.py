"""The SQLite connection behind the SQLite store: one thread, one connection, group commit.

Every operation is a function of the connection, queued to the database thread. The thread
takes everything queued, runs it in ONE transaction (each operation inside its own savepoint,
so one failure does not undo the others), commits once, then answers every caller. With WAL and
`synchronous=FULL`, a commit is durable when it returns, so an answered write survives `kill -9`
and power loss; batching spreads the cost of that sync over all concurrent requests.
"""

from __future__ import annotations

import asyncio
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from mfstack.service.migrations import load

T = TypeVar("T")
Op = Callable[[sqlite3.Connection], Any]
MAX_BATCH = 256


class SqliteDb:
    """Runs operations on a dedicated thread; `await db.run(fn)` returns `fn(conn)`."""

    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        self.path = path
        self.synchronous = synchronous
        self._queue: queue.SimpleQueue[tuple[Op, asyncio.Future[Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=10000")
        return conn

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        conn = await asyncio.to_thread(self.connect)
        self._thread = threading.Thread(target=self._serve, args=(conn,), name="mfstack-sqlite", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            await asyncio.to_thread(self._thread.join)
            self._thread = None

    async def run(self, op: Callable[[sqlite3.Connection], T]) -> T:
        assert self._loop is not None, "database not started"
        fut: asyncio.Future[T] = self._loop.create_future()
        self._queue.put((op, fut))
        return await fut

    def _serve(self, conn: sqlite3.Connection) -> None:
        try:
            while True:
                batch, stop = self._take()
                if batch:
                    self._settle(self._execute(conn, batch))
                if stop:
                    return
        finally:
            conn.close()

    def _take(self) -> tuple[list[tuple[Op, asyncio.Future[Any]]], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    @staticmethod
    def _execute(
        conn: sqlite3.Connection, batch: list[tuple[Op, asyncio.Future[Any]]]
    ) -> list[tuple[asyncio.Future[Any], Any, BaseException | None]]:
        out: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            conn.execute("BEGIN IMMEDIATE")
            for op, fut in batch:
                conn.execute("SAVEPOINT op")
                try:
                    out.append((fut, op(conn), None))
                except Exception as exc:
                    conn.execute("ROLLBACK TO op")
                    out.append((fut, None, exc))
                conn.execute("RELEASE op")
            conn.execute("COMMIT")
        except Exception as exc:  # the commit itself failed: nothing of this batch is stored
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            return [(fut, None, exc) for _, fut in batch]
        return out

    def _settle(self, results: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(_deliver, results)


def _deliver(results: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    for fut, value, exc in results:
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
