"""PostgreSQL query plans of the batched hot writes: tasks are found by their primary key.

Right after a bulk of task registrations, before autovacuum has analyzed `tasks_v3`, the planner
used to pick the (flow, run, step, task_name) index and scan every task of the step for each
metadata row or heartbeat: 5-row metadata posts fell to a tenth of their speed. These tests lay
out that situation on a real PostgreSQL and read the plans PostgreSQL chooses.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from tests.service.helpers import API_KEY, fresh_pg_database, running

from mfstack.service.store.pg_batch import HEARTBEAT_SQL, METADATA_SQL


def _plan(dsn: str, sql: str, *args: Any) -> str:
    async def explain() -> str:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch("EXPLAIN " + sql, *args)
            return "\n".join(r[0] for r in rows)
        finally:
            await conn.close()

    return asyncio.run(explain())


def _many_tasks_in_one_step(dsn: str, tmp_path: Path, count: int) -> int:
    with running(dsn, tmp_path) as svc, httpx.Client(base_url=svc.url, headers={"x-api-key": API_KEY}) as c:
        c.post("/flows/Big", json={})
        run = int(c.post("/flows/Big/run", json={"user_name": "u"}).json()["run_number"])
        assert c.post(f"/flows/Big/runs/{run}/steps/work/step", json={}).status_code == 200

    async def fill() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(
                "INSERT INTO tasks_v3 (flow_id, run_number, step_name, user_name, ts_epoch, tags, system_tags)"
                " SELECT 'Big', $1, 'work', 'u', 0, '[]', '[]' FROM generate_series(1, $2)",
                run,
                count,
            )
        finally:
            await conn.close()

    asyncio.run(fill())
    return run


@pytest.fixture
def big_step(pg_dsn: str, tmp_path: Path) -> tuple[str, int]:
    dsn = fresh_pg_database(pg_dsn, "mfplan")
    return dsn, _many_tasks_in_one_step(dsn, tmp_path, 5000)


def test_metadata_batch_finds_tasks_by_primary_key(big_step: tuple[str, int]) -> None:
    dsn, run = big_step
    plan = _plan(dsn, METADATA_SQL, 0, ["Big"], [run], ["work"], [7], ["f"], ["v"], ["t"], ["u"], ["[]"])
    assert "tasks_v3_pkey" in plan
    assert "task_name_key" not in plan


def test_heartbeat_batch_finds_tasks_by_primary_key(big_step: tuple[str, int]) -> None:
    dsn, run = big_step
    plan = _plan(dsn, HEARTBEAT_SQL, 0, ["Big"], [run], ["work"], [7])
    assert "tasks_v3_pkey" in plan
    assert "task_name_key" not in plan
