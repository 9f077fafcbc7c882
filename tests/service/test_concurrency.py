"""Concurrency and crashes, on both stores: racing creates, 32 concurrent task registrations, and
`kill -9` in the middle of a write load (every write answered 2xx must be there after a restart).
Bounded: fixed request counts and a load of at most a few seconds."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

import httpx
import pytest
from tests.service.helpers import API_KEY, Service, fresh_pg_database, running, start, stop

HEADERS = {"x-api-key": API_KEY}


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/m.db"
    return fresh_pg_database(request.getfixturevalue("pg_dsn"), "mfconc")


async def _setup_step(c: httpx.AsyncClient, flow: str) -> object:
    await c.post(f"/flows/{flow}", json={})
    run = (await c.post(f"/flows/{flow}/run", json={"user_name": "u"})).json()["run_number"]
    assert (await c.post(f"/flows/{flow}/runs/{run}/steps/work/step", json={})).status_code == 200
    return run


def test_32_concurrent_task_registrations_get_distinct_ids(db_url: str, tmp_path: Path) -> None:
    async def scenario(svc: Service) -> None:
        async with httpx.AsyncClient(
            base_url=svc.url, headers=HEADERS, limits=httpx.Limits(max_connections=32), timeout=60
        ) as c:
            run = await _setup_step(c, "Conc")
            path = f"/flows/Conc/runs/{run}/steps/work/task"
            answers = await asyncio.gather(*[c.post(path, json={"user_name": "u"}) for _ in range(32)])
            assert all(a.status_code == 200 for a in answers)
            ids = [a.json()["task_id"] for a in answers]
            assert len(set(ids)) == 32
            listed = (await c.get(f"/flows/Conc/runs/{run}/steps/work/tasks")).json()
            assert sorted(t["task_id"] for t in listed) == sorted(ids)

    with running(db_url, tmp_path) as svc:
        asyncio.run(scenario(svc))


def test_racing_flow_and_step_creation_resolve_like_the_client_expects(db_url: str, tmp_path: Path) -> None:
    async def scenario(svc: Service) -> None:
        async with httpx.AsyncClient(base_url=svc.url, headers=HEADERS, timeout=60) as c:
            flows = await asyncio.gather(*[c.post("/flows/Race", json={}) for _ in range(16)])
            assert sorted(r.status_code for r in flows) == [200] + [409] * 15
            assert (await c.get("/flows/Race")).status_code == 200  # the client's re-GET after a 409
            run = (await c.post("/flows/Race/run", json={})).json()["run_number"]
            steps = await asyncio.gather(*[c.post(f"/flows/Race/runs/{run}/steps/s/step", json={}) for _ in range(16)])
            assert sorted(r.status_code for r in steps) == [200] + [409] * 15
            assert (await c.get(f"/flows/Race/runs/{run}/steps/s")).status_code == 200
            named = await asyncio.gather(*[c.post("/flows/Race/run", json={"run_number": "same"}) for _ in range(8)])
            assert sorted(r.status_code for r in named) == [200] + [409] * 7

    with running(db_url, tmp_path) as svc:
        asyncio.run(scenario(svc))


async def _write_load(svc: Service, run: object, seconds: float, acked: list[tuple[str, object]]) -> None:
    """Register tasks and post metadata from 16 workers until the service dies or time is up."""
    stop_at = time.monotonic() + seconds
    base = f"/flows/Crash/runs/{run}/steps/work"

    async def worker(c: httpx.AsyncClient) -> None:
        while time.monotonic() < stop_at:
            try:
                r = await c.post(base + "/task", json={"user_name": "u"})
                if r.status_code != 200:
                    continue
                task = r.json()["task_id"]
                acked.append(("task", task))
                rows = [{"field_name": f"f{i}", "value": "v", "type": "t", "tags": ["attempt_id:0"]} for i in range(3)]
                if (await c.post(f"{base}/tasks/{task}/metadata", json=rows)).status_code == 200:
                    acked.append(("metadata", task))
            except httpx.TransportError:
                return

    async with httpx.AsyncClient(base_url=svc.url, headers=HEADERS, timeout=30) as c:
        await asyncio.gather(*[worker(c) for _ in range(16)])


def test_kill_9_during_writes_loses_no_answered_write(db_url: str, tmp_path: Path) -> None:
    svc = start(db_url, tmp_path)
    acked: list[tuple[str, object]] = []
    try:
        with httpx.Client(base_url=svc.url, headers=HEADERS) as c:
            c.post("/flows/Crash", json={})
            run = c.post("/flows/Crash/run", json={}).json()["run_number"]
            c.post(f"/flows/Crash/runs/{run}/steps/work/step", json={})

        async def load_then_kill() -> None:
            load = asyncio.create_task(_write_load(svc, run, 8.0, acked))
            while len(acked) < 200 and not load.done():
                await asyncio.sleep(0.05)
            svc.proc.send_signal(signal.SIGKILL)
            await load

        asyncio.run(load_then_kill())
    finally:
        stop(svc, signal.SIGKILL)
    assert svc.proc.returncode == -signal.SIGKILL
    assert len(acked) >= 200
    with running(db_url, tmp_path) as again, again.client() as c:
        base = f"/flows/Crash/runs/{run}/steps/work"
        stored = {t["task_id"] for t in c.get(base + "/tasks").json()}
        tasks = [t for kind, t in acked if kind == "task"]
        assert set(tasks) <= stored
        for task in [t for kind, t in acked if kind == "metadata"]:
            fields = {m["field_name"] for m in c.get(f"{base}/tasks/{task}/metadata").json()}
            assert fields == {"f0", "f1", "f2"}, task
