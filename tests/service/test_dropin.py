"""Drop-in on PostgreSQL: a database laid out and filled like the reference service's is read and
written by ours without migrations, and what ours writes has the reference layout."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from tests.service.helpers import Service, fresh_pg_database, running

SCHEMA = Path(__file__).with_name("reference_schema.sql")


@pytest.fixture(scope="module")
def reference_db(pg_dsn: str) -> str:
    dsn = fresh_pg_database(pg_dsn, "mfref")

    async def load() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(SCHEMA.read_text())
        finally:
            await conn.close()

    asyncio.run(load())
    return dsn


@pytest.fixture(scope="module")
def service(reference_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with running(reference_db, tmp_path_factory.mktemp("dropin")) as svc:
        yield svc


def query(dsn: str, sql: str, *args: Any) -> list[Any]:
    async def run() -> list[Any]:
        conn = await asyncpg.connect(dsn)
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


def test_reference_database_is_up_to_date_for_us(service: Service) -> None:
    with service.client() as c:
        status = c.get("/db_schema_status").json()
    assert status["is_up_to_date"] is True and status["current_version"] == 20260706000003


def test_reference_rows_are_served(service: Service) -> None:
    with service.client() as c:
        assert c.get("/flows/RefFlow").json()["tags"] == []
        runs = {r["run_number"]: r for r in c.get("/flows/RefFlow/runs").json()}
        assert set(runs) == {1, "sfn-abc"} and runs[1]["tags"] == ["old"]
        assert c.get("/flows/RefFlow/runs/sfn-abc/steps/start/tasks/t-1").json()["task_id"] == "t-1"
        task = c.get("/flows/RefFlow/runs/1/steps/start/tasks/1").json()
        assert task["system_tags"] == ["user:alice", "runtime:dev"]
        assert c.get("/flows/RefFlow/runs/1/steps/start/tasks/1/metadata").json()[0]["field_name"] == "attempt"
        assert c.get("/flows/RefFlow/runs/1/steps/start/tasks/1/artifacts/x").json()["sha"] == "abc"
        assert c.get("/flows/RefFlow/runs/sfn-abc/steps/start/tasks/t-1/artifacts/x").json()["sha"] == "def"


def test_our_writes_follow_the_reference_layout(service: Service, reference_db: str) -> None:
    with service.client() as c:
        run = c.post("/flows/RefFlow/run", json={"user_name": "bob", "system_tags": ["user:bob"]}).json()["run_number"]
        assert run == 3  # continues the reference's run sequence
        c.post("/flows/RefFlow/run", json={"run_number": "argo-x"})
        c.post("/flows/RefFlow/runs/argo-x/steps/end/step", json={})
        task = c.post("/flows/RefFlow/runs/argo-x/steps/end/task", json={"task_id": "t-9"}).json()
        assert task["task_id"] == "t-9"
        rows = [{"field_name": "attempt", "value": "0", "type": "attempt", "tags": ["attempt_id:0"]}]
        assert c.post("/flows/RefFlow/runs/argo-x/steps/end/tasks/t-9/metadata", json=rows).status_code == 200
        assert c.patch(f"/flows/RefFlow/runs/{run}/tag/mutate", json={"tags_to_add": ["new"]}).json()["tags"] == ["new"]
        c.post(f"/flows/RefFlow/runs/{run}/steps/start/step", json={})
        numbered = c.post(f"/flows/RefFlow/runs/{run}/steps/start/task", json={}).json()["task_id"]
        assert numbered == 4  # the reference's task sequence, shared by all flows
        path = f"/flows/RefFlow/runs/{run}/steps/start/tasks/{numbered}"
        assert c.post(path + "/metadata", json=rows).json() == {"metadata_created": 1}
        assert c.post(path + "/heartbeat", json={}).status_code == 200
        assert c.get("/flows/RefFlow/runs/1/steps/start/tasks/1/artifacts").json()[0]["name"] == "x"
    (r,) = query(reference_db, "SELECT run_number, run_id, tags, system_tags FROM runs_v3 WHERE run_id='argo-x'")
    assert r["run_number"] == 4 and r["tags"] == "[]"
    (s,) = query(reference_db, "SELECT run_number, run_id FROM steps_v3 WHERE run_id='argo-x'")
    assert s["run_number"] == 4
    (t,) = query(
        reference_db, "SELECT task_id, task_name, run_id, last_heartbeat_ts FROM tasks_v3 WHERE task_name='t-9'"
    )
    assert t["task_id"] == 3 and t["run_id"] == "argo-x" and t["last_heartbeat_ts"] > 0
    (m,) = query(
        reference_db, "SELECT run_number, task_id, run_id, task_name, tags FROM metadata_v3 WHERE task_name='t-9'"
    )
    assert (m["run_number"], m["task_id"], m["run_id"]) == (4, 3, "argo-x") and m["tags"] == '["attempt_id:0"]'
    (tags,) = query(reference_db, "SELECT tags FROM runs_v3 WHERE run_number=$1", run)
    assert tags["tags"] == '["new"]'


def test_our_migrations_build_the_reference_layout(pg_dsn: str, tmp_path: Path) -> None:
    ours = fresh_pg_database(pg_dsn, "mfours")
    with running(ours, tmp_path):
        pass
    columns = "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_name LIKE '%\\_v3' ORDER BY 1, 2"
    versions = "SELECT version_id FROM goose_db_version WHERE is_applied ORDER BY version_id"
    assert {tuple(r) for r in query(ours, columns)} == {tuple(r) for r in query(reference_db_layout(pg_dsn), columns)}
    assert [r[0] for r in query(ours, versions)][:3] == [0, 1, 20200603104139]
    assert len(query(ours, versions)) == 14


def reference_db_layout(pg_dsn: str) -> str:
    dsn = fresh_pg_database(pg_dsn, "mflayout")

    async def load() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(SCHEMA.read_text().split("-- Rows as the reference")[0])
        finally:
            await conn.close()

    asyncio.run(load())
    return dsn


def _behind_reference_db(pg_dsn: str) -> str:
    """A reference database whose last three migrations are not applied yet."""
    dsn = fresh_pg_database(pg_dsn, "mfbehind")
    sql = SCHEMA.read_text().replace(
        "(20260706000001, true), (20260706000002, true), (20260706000003, true);", "(20260706000000, true);"
    )

    async def load() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(load())
    return dsn


def test_pending_migrations_wait_for_upgrade(pg_dsn: str, tmp_path: Path) -> None:
    dsn = _behind_reference_db(pg_dsn)
    with running(dsn, tmp_path) as svc, svc.client() as c:
        status = c.get("/db_schema_status").json()
        assert status["is_up_to_date"] is False and status["current_version"] == 20260706000000
        assert status["pending_versions"] == [20260706000001, 20260706000002, 20260706000003]
        refused = c.get("/flows")
        assert refused.status_code == 503 and "PATCH /upgrade" in refused.json()["message"]
        assert c.patch("/upgrade").json()["is_up_to_date"] is True
        assert [f["flow_id"] for f in c.get("/flows").json()] == ["RefFlow"]
    applied = query(dsn, "SELECT version_id FROM goose_db_version WHERE version_id > 20260706000000 ORDER BY id")
    assert [r[0] for r in applied] == [20260706000001, 20260706000002, 20260706000003]


def test_migrate_flag_applies_pending_migrations_at_startup(pg_dsn: str, tmp_path: Path) -> None:
    dsn = _behind_reference_db(pg_dsn)
    with running(dsn, tmp_path, extra=["--migrate"]) as svc, svc.client() as c:
        assert c.get("/db_schema_status").json()["is_up_to_date"] is True
        assert c.get("/flows/RefFlow/runs/1").status_code == 200


def test_lost_database_connections_answer_503_then_recover(pg_dsn: str, tmp_path: Path) -> None:
    """PostgreSQL drops the service's connections (failover, restart): requests in that moment get
    503, which the Metaflow client retries, and the service reconnects on its own."""
    dsn = fresh_pg_database(pg_dsn, "mfdrop")
    name = dsn.rsplit("/", 1)[1]
    with running(dsn, tmp_path) as svc, svc.client() as c:
        assert c.post("/flows/Drop", json={}).status_code == 200
        query(
            pg_dsn,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        codes = [c.get("/flows/Drop").status_code for _ in range(3)]
        assert set(codes) <= {200, 503} and codes[-1] == 200
        assert c.post("/flows/Drop2", json={}).status_code == 200
        assert "Traceback" not in c.get("/flows/Drop").text
