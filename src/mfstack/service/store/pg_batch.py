"""Group commit for the hot PostgreSQL writes: task registration, metadata rows, task heartbeats.

Requests that arrive while a batch is being written wait and go together in the next one: one
statement, one commit (one WAL flush) for all of them. There is no timer: a lone request is
written at once, so batching adds no latency when the service is idle, and under load the cost
of a commit is shared by every request in the batch. Each caller still gets its own answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from mfstack.service import jsonio
from mfstack.service.store.pg_pool import LeanPool

K = TypeVar("K", bound=Hashable)
MAX_BATCH = 512


class Batcher(Generic[K]):
    """Coalesce submitted items into batches; `flush(items) -> {item: result}` writes one batch.

    Equal items in one batch are written once and share the result. At most `parallel`
    batches are in flight; when a flush fails as a whole, each item is retried alone so that
    one bad item cannot fail the others.
    """

    def __init__(self, flush: Callable[[list[K]], Awaitable[dict[K, Any]]], parallel: int = 2) -> None:
        self._flush = flush
        self._parallel = parallel
        self._pending: dict[K, list[asyncio.Future[Any]]] = {}
        self._inflight = 0
        self._tasks: set[asyncio.Task[None]] = set()  # strong references while batches run

    async def submit(self, item: K) -> Any:
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(item, []).append(fut)
        self._kick()
        return await fut

    def _kick(self) -> None:
        while self._pending and self._inflight < self._parallel:
            keys = list(self._pending)[:MAX_BATCH]
            batch = {k: self._pending.pop(k) for k in keys}
            self._inflight += 1
            task = asyncio.get_running_loop().create_task(self._run(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: dict[K, list[asyncio.Future[Any]]]) -> None:
        try:
            try:
                results = await self._flush(list(batch))
            except Exception:
                if len(batch) == 1:
                    raise
                results = {}
                for key in batch:  # isolate the item that broke the batch
                    try:
                        results.update(await self._flush([key]))
                    except Exception as exc:
                        results[key] = exc
            for key, futures in batch.items():
                _settle(futures, results.get(key))
        except Exception as exc:
            for futures in batch.values():
                _settle(futures, exc)
        finally:
            self._inflight -= 1
            self._kick()


def _settle(futures: list[asyncio.Future[Any]], result: Any) -> None:
    for fut in futures:
        if fut.done():
            continue
        if isinstance(result, Exception):
            fut.set_exception(result)
        else:
            fut.set_result(result)


@dataclass(frozen=True)
class TaskKey:
    """A task named by integer ids (the only form that is batched)."""

    flow: str
    run: int
    step: str
    task: int


@dataclass(frozen=True)
class NewTask:
    """One registration; `seq` keeps equal-looking registrations distinct."""

    seq: int
    flow: str
    run: int
    step: str
    user: str | None
    tags: str
    system_tags: str


@dataclass(frozen=True)
class MetadataBatchItem:
    """One metadata request: a task and its rows as (field, value, type, user, tags-json) tuples."""

    seq: int
    key: TaskKey
    rows: tuple[tuple[str, str, str, str | None, str], ...]


# The tasks are found by their primary key first (a materialized CTE): left to itself, the planner
# may pick the (flow, run, step, task_name) index while statistics are young and scan every task of
# the step for each row.
HEARTBEAT_SQL = """
WITH t AS MATERIALIZED (
    SELECT task_id, flow_id, run_number, step_name FROM tasks_v3 WHERE task_id = ANY($5::bigint[])
), m AS (
    SELECT t.task_id FROM t
    JOIN unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[]) AS u(f, r, s, id)
        ON t.task_id = u.id AND t.flow_id = u.f AND t.run_number = u.r AND t.step_name = u.s
)
UPDATE tasks_v3 x SET last_heartbeat_ts = $1 FROM m WHERE x.task_id = m.task_id
RETURNING x.flow_id, x.run_number, x.step_name, x.task_id"""

NEW_TASKS_SQL = """
WITH u AS (
    SELECT u.*, nextval(pg_get_serial_sequence('tasks_v3', 'task_id')) AS id
    FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
        AS u(seq, f, r, s, usr, tg, stg)
), ins AS (
    INSERT INTO tasks_v3 (task_id, flow_id, run_number, run_id, step_name, user_name, ts_epoch, tags, system_tags, last_heartbeat_ts)
    SELECT u.id, s.flow_id, s.run_number, s.run_id, s.step_name, u.usr, $8, u.tg::jsonb, u.stg::jsonb, $9
    FROM u JOIN steps_v3 s ON s.flow_id = u.f AND s.run_number = u.r AND s.step_name = u.s
    RETURNING task_id, run_id
)
SELECT u.seq, u.id, ins.task_id IS NOT NULL AS created, ins.run_id FROM u LEFT JOIN ins ON ins.task_id = u.id"""

METADATA_SQL = """
WITH t AS MATERIALIZED (
    SELECT flow_id, run_number, run_id, step_name, task_id, task_name FROM tasks_v3 WHERE task_id = ANY($5::bigint[])
)
INSERT INTO metadata_v3 (flow_id, run_number, run_id, step_name, task_id, task_name, field_name, value, type, user_name, ts_epoch, tags)
SELECT t.flow_id, t.run_number, t.run_id, t.step_name, t.task_id, t.task_name, u.fn, u.v, u.ty, u.usr, $1, u.tg::jsonb
FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
    AS u(f, r, s, id, fn, v, ty, usr, tg)
JOIN t ON t.task_id = u.id AND t.flow_id = u.f AND t.run_number = u.r AND t.step_name = u.s
RETURNING flow_id, run_number, step_name, task_id"""


async def heartbeats(pool: LeanPool, now_s: int, keys: list[TaskKey]) -> dict[TaskKey, Any]:
    """Beat every task in `keys`; result per key: True when it exists."""
    ordered = sorted(keys, key=lambda k: k.task)  # a stable lock order across concurrent batches
    cols = ([k.flow for k in ordered], [k.run for k in ordered], [k.step for k in ordered], [k.task for k in ordered])
    rows = await pool.fetch(HEARTBEAT_SQL, now_s, *cols)
    found = {TaskKey(r[0], r[1], r[2], r[3]) for r in rows}
    return {k: k in found for k in keys}


async def new_tasks(pool: LeanPool, now_ms: int, items: list[NewTask]) -> dict[NewTask, Any]:
    """Register tasks; result per item: (task_id, run_id, ts_epoch) or None when its step does not exist."""
    cols = [[getattr(i, f) for i in items] for f in ("seq", "flow", "run", "step", "user", "tags", "system_tags")]
    rows = await pool.fetch(NEW_TASKS_SQL, *cols, now_ms, now_ms // 1000)
    by_seq = {r["seq"]: (r["id"], r["run_id"], now_ms) if r["created"] else None for r in rows}
    return {i: by_seq.get(i.seq) for i in items}


async def metadata(pool: LeanPool, now_ms: int, items: list[MetadataBatchItem]) -> dict[MetadataBatchItem, Any]:
    """Insert the rows of several requests; result per item: its row count, or None (no such task)."""
    flat = [(i.key, row) for i in items for row in i.rows]
    cols: list[list[Any]] = [
        [k.flow for k, _ in flat],
        [k.run for k, _ in flat],
        [k.step for k, _ in flat],
        [k.task for k, _ in flat],
    ]
    cols += [[row[n] for _, row in flat] for n in range(5)]
    rows = await pool.fetch(METADATA_SQL, now_ms, *cols)
    found = {TaskKey(r[0], r[1], r[2], r[3]) for r in rows}
    return {i: (len(i.rows) if i.key in found else None) for i in items}


def tags_json(tags: list[str]) -> str:
    return jsonio.dumps(tags).decode()
