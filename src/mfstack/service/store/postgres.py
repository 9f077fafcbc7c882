"""The PostgreSQL store: the reference schema, an asyncpg pool, one round trip per hot request.

Creates are `INSERT ... SELECT ... ON CONFLICT DO NOTHING RETURNING`: the parent check, the id
allocation and the duplicate check happen in one statement; only a refused insert pays a second
query to tell "missing parent" (404) from "already exists" (409).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from typing import Any

import asyncpg

from mfstack.service import jsonio
from mfstack.service.httperrors import BadRequest, Conflict, NotFound, Unprocessable
from mfstack.service.store import pg_batch, pg_schema
from mfstack.service.store import rows as R
from mfstack.service.store.base import ArtifactScope, Row, SchemaStatus, latest_attempts, tag_list
from mfstack.service.store.pg_pool import LeanPool
from mfstack.service.validate import ArtifactIn, MetadataIn, Owner, Ref

RUN_JOIN = "JOIN runs_v3 r ON r.flow_id={a}.flow_id AND r.run_number={a}.run_number"


def _ms() -> int:
    return int(time.time() * 1000)


def _tags(tags: list[str]) -> str:
    return jsonio.dumps(tags).decode()


def _rc(ref: Ref, alias: str = "") -> str:
    """The column a run reference compares with: the integer id or the user-given id."""
    return f"{alias}run_number" if isinstance(ref, int) else f"{alias}run_id"


def _tc(ref: Ref, alias: str = "") -> str:
    return f"{alias}task_id" if isinstance(ref, int) else f"{alias}task_name"


async def _batched(batcher: pg_batch.Batcher[Any], item: Any) -> Any:
    try:
        return await batcher.submit(item)
    except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError) as exc:
        raise BadRequest(f"The database refused the values: {exc.__class__.__name__}.") from None


def _count(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


class PostgresStore:
    """Store on PostgreSQL, compatible with databases written by the reference service."""

    kind = "postgres"

    def __init__(self, dsn: str, pool_size: int = 10) -> None:
        self.dsn = dsn
        self.pool_size = pool_size
        self._pool: LeanPool | None = None
        self._seq = itertools.count()
        self._new_tasks = pg_batch.Batcher(lambda items: pg_batch.new_tasks(self.pool, _ms(), items), parallel=2)
        self._beats = pg_batch.Batcher(lambda keys: pg_batch.heartbeats(self.pool, int(time.time()), keys), parallel=1)
        self._metadata = pg_batch.Batcher(lambda items: pg_batch.metadata(self.pool, _ms(), items), parallel=2)

    @property
    def pool(self) -> LeanPool:
        assert self._pool is not None, "store not opened"
        return self._pool

    async def open(self, migrate_now: bool) -> SchemaStatus:
        self._pool = LeanPool(self.dsn, self.pool_size)
        await self._pool.start()
        async with self.pool.connection() as conn:
            if migrate_now or await pg_schema.is_empty(conn):
                await pg_schema.upgrade(conn)
            return await pg_schema.status(conn)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def schema_status(self) -> SchemaStatus:
        async with self.pool.connection() as conn:
            return await pg_schema.status(conn)

    async def upgrade(self) -> SchemaStatus:
        async with self.pool.connection() as conn:
            await pg_schema.upgrade(conn)
            return await pg_schema.status(conn)

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        try:
            return await self.pool.fetch(sql, *args)
        except (asyncpg.DataError, asyncpg.IntegrityConstraintViolationError) as exc:
            raise BadRequest(f"The database refused the values: {exc.__class__.__name__}.") from None

    async def _row(self, sql: str, *args: Any) -> Any:
        found = await self._fetch(sql, *args)
        return found[0] if found else None

    # -- flows ---------------------------------------------------------------------------------
    async def list_flows(self) -> list[Row]:
        return [R.flow_row(r) for r in await self._fetch(f"SELECT {R.FLOW_COLS} FROM flows_v3 f ORDER BY f.ts_epoch")]

    async def get_flow(self, flow: str) -> Row | None:
        rec = await self._row(f"SELECT {R.FLOW_COLS} FROM flows_v3 f WHERE f.flow_id=$1", flow)
        return R.flow_row(rec) if rec else None

    async def create_flow(self, flow: str, who: Owner) -> Row:
        rec = (flow, who.user, _ms(), who.tags, who.system_tags)
        sql = "INSERT INTO flows_v3 (flow_id, user_name, ts_epoch, tags, system_tags) VALUES ($1,$2,$3,$4::jsonb,$5::jsonb) ON CONFLICT DO NOTHING RETURNING 1"
        if await self._row(sql, flow, who.user, rec[2], _tags(who.tags), _tags(who.system_tags)) is None:
            raise Conflict(f"Flow {flow} already exists.")
        return R.flow_row(rec)

    async def _flow_exists(self, flow: str) -> bool:
        return await self._row("SELECT 1 FROM flows_v3 WHERE flow_id=$1", flow) is not None

    # -- runs ----------------------------------------------------------------------------------
    async def list_runs(self, flow: str) -> list[Row] | None:
        recs = await self._fetch(
            f"SELECT {R.RUN_COLS} FROM runs_v3 r WHERE r.flow_id=$1 ORDER BY r.run_number DESC", flow
        )
        if not recs and not await self._flow_exists(flow):
            return None
        return [R.run_row(r) for r in recs]

    async def get_run(self, flow: str, run: Ref) -> Row | None:
        rec = await self._row(f"SELECT {R.RUN_COLS} FROM runs_v3 r WHERE r.flow_id=$1 AND r.{_rc(run)}=$2", flow, run)
        return R.run_row(rec) if rec else None

    async def create_run(self, flow: str, run_id: str | None, who: Owner) -> Row:
        now = _ms()
        sql = (
            "INSERT INTO runs_v3 (flow_id, user_name, ts_epoch, tags, system_tags, run_id, last_heartbeat_ts)"
            " SELECT f.flow_id, $2, $3, $4::jsonb, $5::jsonb, $6, $7 FROM flows_v3 f WHERE f.flow_id=$1"
            " ON CONFLICT DO NOTHING RETURNING run_number"
        )
        rec = await self._row(sql, flow, who.user, now, _tags(who.tags), _tags(who.system_tags), run_id, now // 1000)
        if rec is None:
            if not await self._flow_exists(flow):
                raise NotFound(f"Flow {flow} does not exist.")
            raise Conflict(f"Run {run_id} of flow {flow} already exists.")
        return R.run_row((flow, rec[0], run_id, who.user, now, who.tags, who.system_tags, now // 1000))

    async def mutate_run_tags(self, flow: str, run: Ref, add: list[str], remove: list[str]) -> list[str]:
        async with self.pool.connection() as conn, conn.transaction():
            sql = f"SELECT r.run_number, r.tags, r.system_tags FROM runs_v3 r WHERE r.flow_id=$1 AND r.{_rc(run)}=$2 FOR UPDATE"
            rec = await conn.fetchrow(sql, flow, run)
            if rec is None:
                raise NotFound(f"Run {run} of flow {flow} does not exist.")
            refused = sorted(set(tag_list(rec["system_tags"])).intersection(remove))
            if refused:
                raise Unprocessable(f"System tags cannot be removed: {', '.join(refused)}.")
            new = [t for t in dict.fromkeys([*tag_list(rec["tags"]), *add]) if t not in set(remove)]
            await conn.execute(
                "UPDATE runs_v3 SET tags=$3::jsonb WHERE flow_id=$1 AND run_number=$2",
                flow,
                rec["run_number"],
                _tags(new),
            )
            return new

    async def heartbeat_run(self, flow: str, run: Ref, now_s: int) -> bool:
        sql = f"UPDATE runs_v3 SET last_heartbeat_ts=$3 WHERE flow_id=$1 AND {_rc(run)}=$2"
        return _count(await self.pool.execute(sql, flow, run, now_s)) > 0

    # -- steps ---------------------------------------------------------------------------------
    async def list_steps(self, flow: str, run: Ref) -> list[Row] | None:
        sql = f"SELECT {R.STEP_COLS} FROM steps_v3 s {RUN_JOIN.format(a='s')} WHERE r.flow_id=$1 AND r.{_rc(run)}=$2 ORDER BY s.ts_epoch"
        recs = await self._fetch(sql, flow, run)
        if not recs and await self.get_run(flow, run) is None:
            return None
        return [R.step_row(r) for r in recs]

    async def get_step(self, flow: str, run: Ref, step: str) -> Row | None:
        sql = f"SELECT {R.STEP_COLS} FROM steps_v3 s {RUN_JOIN.format(a='s')} WHERE r.flow_id=$1 AND r.{_rc(run)}=$2 AND s.step_name=$3"
        rec = await self._row(sql, flow, run, step)
        return R.step_row(rec) if rec else None

    async def create_step(self, flow: str, run: Ref, step: str, who: Owner) -> Row:
        now = _ms()
        sql = (
            "INSERT INTO steps_v3 (flow_id, run_number, run_id, step_name, user_name, ts_epoch, tags, system_tags)"
            f" SELECT r.flow_id, r.run_number, r.run_id, $3, $4, $5, $6::jsonb, $7::jsonb FROM runs_v3 r WHERE r.flow_id=$1 AND r.{_rc(run)}=$2"
            " ON CONFLICT DO NOTHING RETURNING run_number, run_id"
        )
        rec = await self._row(sql, flow, run, step, who.user, now, _tags(who.tags), _tags(who.system_tags))
        if rec is None:
            if await self.get_run(flow, run) is None:
                raise NotFound(f"Run {run} of flow {flow} does not exist.")
            raise Conflict(f"Step {step} of run {run} already exists.")
        return R.step_row((flow, rec[0], rec[1], step, who.user, now, who.tags, who.system_tags))

    # -- tasks ---------------------------------------------------------------------------------
    async def list_tasks(self, flow: str, run: Ref, step: str) -> list[Row] | None:
        sql = f"SELECT {R.TASK_COLS} FROM tasks_v3 t {RUN_JOIN.format(a='t')} WHERE r.flow_id=$1 AND r.{_rc(run)}=$2 AND t.step_name=$3 ORDER BY t.task_id"
        recs = await self._fetch(sql, flow, run, step)
        if not recs and await self.get_step(flow, run, step) is None:
            return None
        return [R.task_row(r) for r in recs]

    async def get_task(self, flow: str, run: Ref, step: str, task: Ref) -> Row | None:
        sql = (
            f"SELECT {R.TASK_COLS} FROM tasks_v3 t {RUN_JOIN.format(a='t')}"
            f" WHERE t.flow_id=$1 AND t.{_rc(run)}=$2 AND t.step_name=$3 AND t.{_tc(task)}=$4"
        )
        rec = await self._row(sql, flow, run, step, task)
        return R.task_row(rec) if rec else None

    async def create_task(self, flow: str, run: Ref, step: str, task_name: str | None, who: Owner) -> Row:
        if isinstance(run, int) and task_name is None:
            item = pg_batch.NewTask(next(self._seq), flow, run, step, who.user, _tags(who.tags), _tags(who.system_tags))
            made = await _batched(self._new_tasks, item)
            if made is None:
                raise NotFound(f"Step {step} of run {run} of flow {flow} does not exist.")
            task_id, run_id, now = made
            return R.task_row(
                (flow, run, run_id, step, task_id, None, who.user, now, who.tags, who.system_tags, now // 1000)
            )
        now = _ms()
        sql = (
            "INSERT INTO tasks_v3 (flow_id, run_number, run_id, step_name, task_name, user_name, ts_epoch, tags, system_tags, last_heartbeat_ts)"
            f" SELECT s.flow_id, s.run_number, s.run_id, s.step_name, $4, $5, $6, $7::jsonb, $8::jsonb, $9 FROM steps_v3 s"
            f" WHERE s.flow_id=$1 AND s.{_rc(run)}=$2 AND s.step_name=$3 ON CONFLICT DO NOTHING RETURNING run_number, run_id, task_id"
        )
        rec = await self._row(
            sql, flow, run, step, task_name, who.user, now, _tags(who.tags), _tags(who.system_tags), now // 1000
        )
        if rec is None:
            if await self.get_step(flow, run, step) is None:
                raise NotFound(f"Step {step} of run {run} of flow {flow} does not exist.")
            raise Conflict(f"Task {task_name} of step {step} already exists.")
        return R.task_row(
            (flow, rec[0], rec[1], step, rec[2], task_name, who.user, now, who.tags, who.system_tags, now // 1000)
        )

    async def heartbeat_task(self, flow: str, run: Ref, step: str, task: Ref, now_s: int) -> bool:
        if isinstance(run, int) and isinstance(task, int):
            return bool(await _batched(self._beats, pg_batch.TaskKey(flow, run, step, task)))
        sql = f"UPDATE tasks_v3 SET last_heartbeat_ts=$5 WHERE flow_id=$1 AND {_rc(run)}=$2 AND step_name=$3 AND {_tc(task)}=$4"
        return _count(await self.pool.execute(sql, flow, run, step, task, now_s)) > 0

    async def _task_key(self, flow: str, run: Ref, step: str, task: Ref) -> Any:
        sql = f"SELECT run_number, run_id, task_id, task_name FROM tasks_v3 WHERE flow_id=$1 AND {_rc(run)}=$2 AND step_name=$3 AND {_tc(task)}=$4"
        return await self._row(sql, flow, run, step, task)

    # -- metadata ------------------------------------------------------------------------------
    async def add_metadata(self, flow: str, run: Ref, step: str, task: Ref, rows: Sequence[MetadataIn]) -> int:
        if isinstance(run, int) and isinstance(task, int) and rows:
            values = tuple((m.field_name, m.value, m.type, m.user, _tags(m.tags)) for m in rows)
            item = pg_batch.MetadataBatchItem(next(self._seq), pg_batch.TaskKey(flow, run, step, task), values)
            count = await _batched(self._metadata, item)
            if count is None:
                raise NotFound(f"Task {flow}/{run}/{step}/{task} does not exist.")
            return int(count)
        sql = (
            "INSERT INTO metadata_v3 (flow_id, run_number, run_id, step_name, task_id, task_name, field_name, value, type, user_name, ts_epoch, tags)"
            " SELECT t.flow_id, t.run_number, t.run_id, t.step_name, t.task_id, t.task_name, m.f, m.v, m.ty, m.u, $5, m.tg::jsonb"
            " FROM tasks_v3 t, unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) AS m(f, v, ty, u, tg)"
            f" WHERE t.flow_id=$1 AND t.{_rc(run)}=$2 AND t.step_name=$3 AND t.{_tc(task)}=$4"
        )
        cols = (
            [m.field_name for m in rows],
            [m.value for m in rows],
            [m.type for m in rows],
            [m.user for m in rows],
            [_tags(m.tags) for m in rows],
        )
        try:
            count = _count(await self.pool.execute(sql, flow, run, step, task, _ms(), *cols))
        except asyncpg.DataError as exc:
            raise BadRequest(f"The database refused the values: {exc.__class__.__name__}.") from None
        if count == 0 and await self._task_key(flow, run, step, task) is None:
            raise NotFound(f"Task {flow}/{run}/{step}/{task} does not exist.")
        return count

    async def list_metadata(self, flow: str, run: Ref, step: str, task: Ref) -> list[Row] | None:
        key = await self._task_key(flow, run, step, task)
        if key is None:
            return None
        sql = f"SELECT {R.META_COLS} FROM metadata_v3 m WHERE m.flow_id=$1 AND m.run_number=$2 AND m.step_name=$3 AND m.task_id=$4 ORDER BY m.id DESC"
        return [R.meta_row(r) for r in await self._fetch(sql, flow, key[0], step, key[2])]

    async def metadata_values(self, flow: str, run: Ref, step: str, field: str | None) -> list[tuple[Any, str]] | None:
        if await self.get_step(flow, run, step) is None:
            return None
        if field is None:
            sql = f"SELECT t.task_id, t.task_name, NULL FROM tasks_v3 t WHERE t.flow_id=$1 AND t.{_rc(run)}=$2 AND t.step_name=$3 ORDER BY t.task_id"
            recs = await self._fetch(sql, flow, run, step)
        else:
            sql = f"SELECT m.task_id, m.task_name, m.value FROM metadata_v3 m WHERE m.flow_id=$1 AND m.{_rc(run)}=$2 AND m.step_name=$3 AND m.field_name=$4"
            recs = await self._fetch(sql, flow, run, step, field)
        return [(r[1] or r[0], r[2]) for r in recs]

    # -- artifacts -----------------------------------------------------------------------------
    async def add_artifacts(self, flow: str, run: Ref, step: str, task: Ref, rows: Sequence[ArtifactIn]) -> int:
        key = await self._task_key(flow, run, step, task)
        if key is None:
            raise NotFound(f"Task {flow}/{run}/{step}/{task} does not exist.")
        sql = (
            "INSERT INTO artifact_v3 (flow_id, run_number, run_id, step_name, task_id, task_name, name, location, ds_type, sha, type,"
            " content_type, user_name, attempt_id, ts_epoch) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) ON CONFLICT DO NOTHING"
        )
        now = _ms()
        args = [
            (
                flow,
                key[0],
                key[1],
                step,
                key[2],
                key[3],
                a.name,
                a.location,
                a.ds_type,
                a.sha,
                a.type,
                a.content_type,
                a.user,
                a.attempt_id,
                now,
            )
            for a in rows
        ]
        try:
            await self.pool.executemany(sql, args)
        except asyncpg.DataError as exc:
            raise BadRequest(f"The database refused the values: {exc.__class__.__name__}.") from None
        return len(rows)

    async def list_artifacts(self, scope: ArtifactScope) -> list[Row] | None:
        s = scope
        where, args = [f"a.flow_id=$1 AND a.{_rc(s.run)}=$2"], [s.flow, s.run]
        for column, value in (("step_name", s.step), ("name", s.name), ("attempt_id", s.attempt)):
            if value is not None:
                args.append(value)
                where.append(f"a.{column}=${len(args)}")
        if s.task is not None:
            args.append(s.task)
            where.append(f"a.{_tc(s.task)}=${len(args)}")
        sql = f"SELECT {R.ART_COLS} FROM artifact_v3 a {RUN_JOIN.format(a='a')} WHERE {' AND '.join(where)} ORDER BY a.task_id, a.name"
        recs = await self._fetch(sql, *args)
        if not recs and not await self._scope_exists(s):
            return None
        out = [R.artifact_row(r) for r in recs]
        return out if s.attempt is not None else latest_attempts(out)

    async def _scope_exists(self, s: ArtifactScope) -> bool:
        if s.task is not None and s.step is not None:
            return await self._task_key(s.flow, s.run, s.step, s.task) is not None
        if s.step is not None:
            return await self.get_step(s.flow, s.run, s.step) is not None
        return await self.get_run(s.flow, s.run) is not None
