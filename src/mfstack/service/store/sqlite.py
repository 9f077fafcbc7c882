"""The SQLite store: the embedded default (one file, WAL, group commit on one thread)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mfstack.service import jsonio
from mfstack.service.httperrors import Conflict, NotFound, Unprocessable
from mfstack.service.migrations import load
from mfstack.service.store import rows as R
from mfstack.service.store.base import ArtifactScope, Row, SchemaStatus, latest_attempts, tag_list
from mfstack.service.store.sqlite_db import SqliteDb, current_version, migrate, pending_versions
from mfstack.service.validate import ArtifactIn, MetadataIn, Owner, Ref

C = sqlite3.Connection


def _ms() -> int:
    return int(time.time() * 1000)


def _tags(tags: list[str]) -> str:
    return jsonio.dumps(tags).decode()


def _by(column_int: str, column_str: str, ref: Ref) -> str:
    return column_int if isinstance(ref, int) else column_str


class SqliteStore:
    """Store on a SQLite file. Run/task string ids live beside the integer ids, as on PostgreSQL."""

    kind = "sqlite"

    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        self.db = SqliteDb(path, synchronous)

    async def open(self, migrate_now: bool) -> SchemaStatus:
        await self.db.start()
        status = await self.schema_status()
        if status.pending and (migrate_now or status.current == 0):
            return await self.upgrade()
        return status

    async def close(self) -> None:
        await self.db.stop()

    async def schema_status(self) -> SchemaStatus:
        latest = load("sqlite")[-1].version
        cur, pending = await self.db.read(lambda c: (current_version(c), pending_versions(c)))
        return SchemaStatus(cur, latest, pending)

    async def upgrade(self) -> SchemaStatus:
        await self.db.write(migrate)
        return await self.schema_status()

    # -- flows ---------------------------------------------------------------------------------
    async def list_flows(self) -> list[Row]:
        recs = await self.db.read(
            lambda c: c.execute(f"SELECT {R.FLOW_COLS} FROM flows_v3 f ORDER BY f.ts_epoch").fetchall()
        )
        return [R.flow_row(r) for r in recs]

    async def get_flow(self, flow: str) -> Row | None:
        rec = await self.db.read(
            lambda c: c.execute(f"SELECT {R.FLOW_COLS} FROM flows_v3 f WHERE flow_id=?", (flow,)).fetchone()
        )
        return R.flow_row(rec) if rec else None

    async def create_flow(self, flow: str, who: Owner) -> Row:
        rec = (flow, who.user, _ms(), _tags(who.tags), _tags(who.system_tags))

        def op(c: C) -> None:
            try:
                c.execute(
                    "INSERT INTO flows_v3 (flow_id, user_name, ts_epoch, tags, system_tags) VALUES (?,?,?,?,?)", rec
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"Flow {flow} already exists.") from None

        await self.db.write(op)
        return R.flow_row(rec)

    # -- runs ----------------------------------------------------------------------------------
    async def list_runs(self, flow: str) -> list[Row] | None:
        def op(c: C) -> list[Any] | None:
            recs = c.execute(
                f"SELECT {R.RUN_COLS} FROM runs_v3 r WHERE r.flow_id=? ORDER BY r.run_number DESC", (flow,)
            ).fetchall()
            return recs if recs or _flow_exists(c, flow) else None

        recs = await self.db.read(op)
        return None if recs is None else [R.run_row(r) for r in recs]

    async def get_run(self, flow: str, run: Ref) -> Row | None:
        rec = await self.db.read(lambda c: _run(c, flow, run))
        return R.run_row(rec) if rec else None

    async def create_run(self, flow: str, run_id: str | None, who: Owner) -> Row:
        now = _ms()

        def op(c: C) -> Any:
            if not _flow_exists(c, flow):
                raise NotFound(f"Flow {flow} does not exist.")
            try:
                cur = c.execute(
                    "INSERT INTO runs_v3 (flow_id, user_name, ts_epoch, tags, system_tags, run_id, last_heartbeat_ts) VALUES (?,?,?,?,?,?,?)",
                    (flow, who.user, now, _tags(who.tags), _tags(who.system_tags), run_id, now // 1000),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"Run {run_id} of flow {flow} already exists.") from None
            return cur.lastrowid

        number = await self.db.write(op)
        return R.run_row((flow, number, run_id, who.user, now, who.tags, who.system_tags, now // 1000))

    async def mutate_run_tags(self, flow: str, run: Ref, add: list[str], remove: list[str]) -> list[str]:
        def op(c: C) -> list[str]:
            rec = _run(c, flow, run)
            if rec is None:
                raise NotFound(f"Run {run} of flow {flow} does not exist.")
            tags, system = tag_list(rec[5]), set(tag_list(rec[6]))
            refused = sorted(system.intersection(remove))
            if refused:
                raise Unprocessable(f"System tags cannot be removed: {', '.join(refused)}.")
            new = [t for t in dict.fromkeys([*tags, *add]) if t not in set(remove)]
            c.execute("UPDATE runs_v3 SET tags=? WHERE run_number=?", (_tags(new), rec[1]))
            return new

        return await self.db.write(op)

    async def heartbeat_run(self, flow: str, run: Ref, now_s: int) -> bool:
        col = _by("run_number", "run_id", run)
        sql = f"UPDATE runs_v3 SET last_heartbeat_ts=? WHERE flow_id=? AND {col}=?"
        return bool(await self.db.write(lambda c: c.execute(sql, (now_s, flow, run)).rowcount))

    # -- steps ---------------------------------------------------------------------------------
    async def list_steps(self, flow: str, run: Ref) -> list[Row] | None:
        def op(c: C) -> list[Any] | None:
            key = _run(c, flow, run)
            if key is None:
                return None
            sql = f"SELECT {R.STEP_COLS} FROM steps_v3 s JOIN runs_v3 r ON r.run_number=s.run_number WHERE s.flow_id=? AND s.run_number=? ORDER BY s.ts_epoch"
            return c.execute(sql, (flow, key[1])).fetchall()

        recs = await self.db.read(op)
        return None if recs is None else [R.step_row(r) for r in recs]

    async def get_step(self, flow: str, run: Ref, step: str) -> Row | None:
        col = _by("r.run_number", "r.run_id", run)
        sql = f"SELECT {R.STEP_COLS} FROM steps_v3 s JOIN runs_v3 r ON r.run_number=s.run_number WHERE r.flow_id=? AND {col}=? AND s.step_name=?"
        rec = await self.db.read(lambda c: c.execute(sql, (flow, run, step)).fetchone())
        return R.step_row(rec) if rec else None

    async def create_step(self, flow: str, run: Ref, step: str, who: Owner) -> Row:
        now = _ms()

        def op(c: C) -> Any:
            key = _run_or_404(c, flow, run)
            try:
                c.execute(
                    "INSERT INTO steps_v3 (flow_id, run_number, step_name, user_name, ts_epoch, tags, system_tags, run_id) VALUES (?,?,?,?,?,?,?,?)",
                    (flow, key[1], step, who.user, now, _tags(who.tags), _tags(who.system_tags), key[2]),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"Step {step} of run {run} already exists.") from None
            return key

        key = await self.db.write(op)
        return R.step_row((flow, key[1], key[2], step, who.user, now, who.tags, who.system_tags))

    # -- tasks ---------------------------------------------------------------------------------
    async def list_tasks(self, flow: str, run: Ref, step: str) -> list[Row] | None:
        def op(c: C) -> list[Any] | None:
            key = _run(c, flow, run)
            if key is None or not _step_exists(c, flow, key[1], step):
                return None
            sql = f"SELECT {R.TASK_COLS} FROM tasks_v3 t JOIN runs_v3 r ON r.run_number=t.run_number WHERE t.flow_id=? AND t.run_number=? AND t.step_name=? ORDER BY t.task_id"
            return c.execute(sql, (flow, key[1], step)).fetchall()

        recs = await self.db.read(op)
        return None if recs is None else [R.task_row(r) for r in recs]

    async def get_task(self, flow: str, run: Ref, step: str, task: Ref) -> Row | None:
        rcol, tcol = _by("r.run_number", "r.run_id", run), _by("t.task_id", "t.task_name", task)
        sql = f"SELECT {R.TASK_COLS} FROM tasks_v3 t JOIN runs_v3 r ON r.run_number=t.run_number WHERE r.flow_id=? AND {rcol}=? AND t.step_name=? AND {tcol}=?"
        rec = await self.db.read(lambda c: c.execute(sql, (flow, run, step, task)).fetchone())
        return R.task_row(rec) if rec else None

    async def create_task(self, flow: str, run: Ref, step: str, task_name: str | None, who: Owner) -> Row:
        now = _ms()

        def op(c: C) -> tuple[Any, ...]:
            key = _run_or_404(c, flow, run)
            if not _step_exists(c, flow, key[1], step):
                raise NotFound(f"Step {step} of run {run} of flow {flow} does not exist.")
            try:
                cur = c.execute(
                    "INSERT INTO tasks_v3 (flow_id, run_number, step_name, user_name, ts_epoch, tags, system_tags, run_id, task_name, last_heartbeat_ts)"
                    " VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (
                        flow,
                        key[1],
                        step,
                        who.user,
                        now,
                        _tags(who.tags),
                        _tags(who.system_tags),
                        key[2],
                        task_name,
                        now // 1000,
                    ),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"Task {task_name} of step {step} already exists.") from None
            return (key[1], key[2], cur.lastrowid)

        number, run_id, task_id = await self.db.write(op)
        return R.task_row(
            (flow, number, run_id, step, task_id, task_name, who.user, now, who.tags, who.system_tags, now // 1000)
        )

    async def heartbeat_task(self, flow: str, run: Ref, step: str, task: Ref, now_s: int) -> bool:
        rcol, tcol = _by("run_number", "run_id", run), _by("task_id", "task_name", task)
        sql = f"UPDATE tasks_v3 SET last_heartbeat_ts=? WHERE flow_id=? AND {rcol}=? AND step_name=? AND {tcol}=?"
        return bool(await self.db.write(lambda c: c.execute(sql, (now_s, flow, run, step, task)).rowcount))

    # -- metadata and artifacts ----------------------------------------------------------------
    async def add_metadata(self, flow: str, run: Ref, step: str, task: Ref, rows: Sequence[MetadataIn]) -> int:
        now = _ms()

        def op(c: C) -> int:
            k = _task_or_404(c, flow, run, step, task)
            c.executemany(
                "INSERT INTO metadata_v3 (flow_id, run_number, run_id, step_name, task_id, task_name, field_name, value, type, user_name, ts_epoch, tags)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (flow, k[0], k[1], step, k[2], k[3], m.field_name, m.value, m.type, m.user, now, _tags(m.tags))
                    for m in rows
                ],
            )
            return len(rows)

        return await self.db.write(op)

    async def list_metadata(self, flow: str, run: Ref, step: str, task: Ref) -> list[Row] | None:
        def op(c: C) -> list[Any] | None:
            k = _task(c, flow, run, step, task)
            if k is None:
                return None
            sql = f"SELECT {R.META_COLS} FROM metadata_v3 m WHERE m.flow_id=? AND m.run_number=? AND m.step_name=? AND m.task_id=? ORDER BY m.id DESC"
            return c.execute(sql, (flow, k[0], step, k[2])).fetchall()

        recs = await self.db.read(op)
        return None if recs is None else [R.meta_row(r) for r in recs]

    async def metadata_values(self, flow: str, run: Ref, step: str, field: str | None) -> list[tuple[Any, str]] | None:
        def op(c: C) -> list[Any] | None:
            key = _run(c, flow, run)
            if key is None or not _step_exists(c, flow, key[1], step):
                return None
            if field is None:
                sql = "SELECT t.task_id, t.task_name, NULL FROM tasks_v3 t WHERE t.flow_id=? AND t.run_number=? AND t.step_name=?"
                return c.execute(sql, (flow, key[1], step)).fetchall()
            sql = "SELECT m.task_id, m.task_name, m.value FROM metadata_v3 m WHERE m.flow_id=? AND m.run_number=? AND m.step_name=? AND m.field_name=?"
            return c.execute(sql, (flow, key[1], step, field)).fetchall()

        recs = await self.db.read(op)
        return None if recs is None else [(r[1] or r[0], r[2]) for r in recs]

    async def add_artifacts(self, flow: str, run: Ref, step: str, task: Ref, rows: Sequence[ArtifactIn]) -> int:
        now = _ms()

        def op(c: C) -> int:
            k = _task_or_404(c, flow, run, step, task)
            c.executemany(
                "INSERT OR IGNORE INTO artifact_v3 (flow_id, run_number, run_id, step_name, task_id, task_name, name, location, ds_type, sha, type,"
                " content_type, user_name, attempt_id, ts_epoch) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        flow,
                        k[0],
                        k[1],
                        step,
                        k[2],
                        k[3],
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
                ],
            )
            return len(rows)

        return await self.db.write(op)

    async def list_artifacts(self, scope: ArtifactScope) -> list[Row] | None:
        recs = await self.db.read(lambda c: _artifacts(c, scope))
        if recs is None:
            return None
        out = [R.artifact_row(r) for r in recs]
        return out if scope.attempt is not None else latest_attempts(out)


def _flow_exists(c: C, flow: str) -> bool:
    return c.execute("SELECT 1 FROM flows_v3 WHERE flow_id=?", (flow,)).fetchone() is not None


def _run(c: C, flow: str, run: Ref) -> Any:
    col = _by("r.run_number", "r.run_id", run)
    return c.execute(f"SELECT {R.RUN_COLS} FROM runs_v3 r WHERE r.flow_id=? AND {col}=?", (flow, run)).fetchone()


def _run_or_404(c: C, flow: str, run: Ref) -> Any:
    rec = _run(c, flow, run)
    if rec is None:
        raise NotFound(f"Run {run} of flow {flow} does not exist.")
    return rec


def _step_exists(c: C, flow: str, run_number: int, step: str) -> bool:
    sql = "SELECT 1 FROM steps_v3 WHERE flow_id=? AND run_number=? AND step_name=?"
    return c.execute(sql, (flow, run_number, step)).fetchone() is not None


def _task(c: C, flow: str, run: Ref, step: str, task: Ref) -> Any:
    """(run_number, run_id, task_id, task_name) of a task, or None."""
    rcol, tcol = _by("run_number", "run_id", run), _by("task_id", "task_name", task)
    sql = f"SELECT run_number, run_id, task_id, task_name FROM tasks_v3 WHERE flow_id=? AND {rcol}=? AND step_name=? AND {tcol}=?"
    return c.execute(sql, (flow, run, step, task)).fetchone()


def _task_or_404(c: C, flow: str, run: Ref, step: str, task: Ref) -> Any:
    k = _task(c, flow, run, step, task)
    if k is None:
        raise NotFound(f"Task {flow}/{run}/{step}/{task} does not exist.")
    return k


def _artifacts(c: C, s: ArtifactScope) -> list[Any] | None:
    if s.task is not None:
        assert s.step is not None
        k = _task(c, s.flow, s.run, s.step, s.task)
        if k is None:
            return None
        where, args = "a.flow_id=? AND a.run_number=? AND a.step_name=? AND a.task_id=?", [s.flow, k[0], s.step, k[2]]
    else:
        key = _run(c, s.flow, s.run)
        if key is None or (s.step is not None and not _step_exists(c, s.flow, key[1], s.step)):
            return None
        where, args = "a.flow_id=? AND a.run_number=?", [s.flow, key[1]]
        if s.step is not None:
            where, args = where + " AND a.step_name=?", [*args, s.step]
    if s.name is not None:
        where, args = where + " AND a.name=?", [*args, s.name]
    if s.attempt is not None:
        where, args = where + " AND a.attempt_id=?", [*args, s.attempt]
    sql = f"SELECT {R.ART_COLS} FROM artifact_v3 a JOIN runs_v3 r ON r.run_number=a.run_number WHERE {where} ORDER BY a.task_id, a.name"
    return c.execute(sql, args).fetchall()
