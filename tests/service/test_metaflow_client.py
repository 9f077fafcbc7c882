"""The real Metaflow client against the real service, on SQLite and on a real PostgreSQL.

Flows run with `--metadata=service` in subprocesses; then the client API reads everything back,
tags are mutated (API and `tag` CLI), a system tag removal is refused, `resume` with a
user-given run id works.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.service.helpers import Service, fresh_pg_database, metaflow_env, running

FLOWS = Path(__file__).parent / "flows"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp = tmp_path_factory.mktemp(f"svc-{request.param}")
    if request.param == "sqlite":
        db = f"sqlite:///{tmp}/metadata.db"
    else:
        db = fresh_pg_database(request.getfixturevalue("pg_dsn"), "mfclient")
    with running(db, tmp) as svc:
        yield svc


def flow(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    out = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out


def run_id(path: Path) -> str:
    return path.read_text().strip()


def test_flows_run_and_read_back(service: Service, tmp_path: Path) -> None:
    env = metaflow_env(service, tmp_path / "mf")
    fan, param = str(FLOWS / "fan_flow.py"), str(FLOWS / "param_flow.py")
    flow(env, tmp_path, fan, "--metadata=service", "--datastore=local", "run", "--run-id-file", "fan.id")
    flow(
        env,
        tmp_path,
        param,
        "--metadata=service",
        "--datastore=local",
        "run",
        "--alpha",
        "3",
        "--label",
        "hi",
        "--run-id-file",
        "param.id",
    )
    fan_id, param_id = run_id(tmp_path / "fan.id"), run_id(tmp_path / "param.id")
    assert fan_id.isdigit() and param_id.isdigit()
    flow(
        env,
        tmp_path,
        fan,
        "--metadata=service",
        "--datastore=local",
        "resume",
        "--origin-run-id",
        fan_id,
        "--run-id",
        "resumed-1",
        "join",
    )

    flow(env, tmp_path, fan, "--metadata=service", "tag", "add", "--run-id", fan_id, "cli-tag")
    flow(
        env,
        tmp_path,
        fan,
        "--metadata=service",
        "tag",
        "replace",
        "--run-id",
        fan_id,
        "--remove",
        "cli-tag",
        "--add",
        "cli-tag2",
    )
    listed = flow(env, tmp_path, fan, "--metadata=service", "tag", "list", "--run-id", fan_id)
    assert "cli-tag2" in listed.stdout + listed.stderr

    out = flow(env, tmp_path, str(FLOWS / "read_back.py"), fan_id, param_id, "resumed-1")
    result = json.loads(out.stdout.split("RESULT ", 1)[1])
    assert {"FanFlow", "ParamFlow"} <= set(result["flows"])
    assert result["successful"] is True and result["finished"] is True
    assert result["total"] == 14 and result["squares"] == [1, 4, 9]
    assert result["steps"] == ["end", "join", "start", "work"]
    assert result["work_tasks"] == 3 and result["parent_tasks"] == 3
    assert {"attempt", "attempt_ok", "origin-run-id"} <= set(result["metadata_fields"])
    assert {"square", "items"} <= set(result["artifact_names"])
    assert result["task_successful"] is True and result["task_finished"] is True
    assert result["attempt"] == 0
    assert result["latest_is_resumed"] is True
    assert result["resumed_successful"] is True and result["resumed_total"] == 14
    assert result["param"] == [3, "hi", 63]
    assert result["user_tags"] == ["cli-tag2", "t1", "t4"]
    assert result["task_sees_run_tags"] is True
    assert result["system_tag_removal"] == "refused"
    assert result["tagged_runs"] == [fan_id]


def test_client_with_a_wrong_key_is_refused(service: Service, tmp_path: Path) -> None:
    env = dict(metaflow_env(service, tmp_path / "mf"), METAFLOW_SERVICE_AUTH_KEY="not-the-key")
    out = subprocess.run(
        [sys.executable, str(FLOWS / "param_flow.py"), "--metadata=service", "--datastore=local", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode != 0
    assert "403" in out.stdout + out.stderr
