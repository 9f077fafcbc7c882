"""`mfstack service` as a user runs it: help, startup on SQLite, clear errors for bad options."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from tests.service.helpers import API_KEY, free_port, running, start, stop


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="300")  # wide enough that help text is not cut
    return subprocess.run([sys.executable, "-m", "mfstack", *args], capture_output=True, text=True, timeout=60, env=env)


def test_help_explains_every_option() -> None:
    out = run_cli("service", "--help")
    assert out.returncode == 0
    for option in (
        "--db",
        "--host",
        "--port",
        "--api-key",
        "--migrate",
        "--max-body",
        "--access-log",
        "--sqlite-synchronous",
        "--pool-size",
        "--log-level",
    ):
        assert option in out.stdout
    assert "sqlite:///" in out.stdout and "postgresql://" in out.stdout and "MF_METADATA_DB_HOST" in out.stdout


def test_starts_on_sqlite_fast_and_stops_on_sigterm(tmp_path: Path) -> None:
    began = time.monotonic()
    service = start(f"sqlite:///{tmp_path}/m.db", tmp_path, command=("mfstack", "service"))
    ready_after = time.monotonic() - began
    with service.client() as c:
        ping = c.get("/ping")
        assert ping.status_code == 200 and ping.headers["METADATA_SERVICE_VERSION"] >= "2.3.0"
        assert c.post("/flows/F", json={"flow_id": "F"}).status_code == 200
    # uvicorn shuts down gracefully, then re-raises SIGTERM so supervisors see how it ended
    assert stop(service) in (0, -signal.SIGTERM)
    assert "Finished server process" in service.log.read_text()
    assert (tmp_path / "m.db").exists()
    print(f"ready after {ready_after:.2f}s")  # reported, not asserted (no wall-clock assertions)


def test_bad_database_url_is_one_paragraph_error(tmp_path: Path) -> None:
    out = run_cli("service", "--db", "mysql://x@y/z", "--port", str(free_port()))
    assert out.returncode != 0
    assert "not supported" in out.stderr and "Traceback" not in out.stderr


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with running(f"sqlite:///{tmp_path}/m.db", tmp_path) as service:
        port = service.url.rsplit(":", 1)[1]
        out = run_cli("service", "--db", f"sqlite:///{tmp_path}/other.db", "--port", port, "--api-key", API_KEY)
    assert out.returncode != 0
    assert "Cannot listen" in out.stderr and "Traceback" not in out.stderr


def test_unreachable_postgres_is_a_clear_error() -> None:
    out = run_cli("service", "--db", f"postgresql://nobody@127.0.0.1:{free_port()}/none", "--port", str(free_port()))
    assert out.returncode != 0
    assert "Cannot open the database" in out.stderr and "Traceback" not in out.stderr


def test_migration_port_serves_only_migration_routes(tmp_path: Path) -> None:
    migration = free_port()
    with running(f"sqlite:///{tmp_path}/m.db", tmp_path, extra=["--migration-port", str(migration)]) as service:
        headers = {"x-api-key": API_KEY}
        base = f"http://127.0.0.1:{migration}"
        assert httpx.get(base + "/db_schema_status", headers=headers).json()["is_up_to_date"] is True
        assert httpx.patch(base + "/upgrade", headers=headers).status_code == 200
        assert httpx.get(base + "/flows", headers=headers).status_code == 404
        assert httpx.get(base + "/db_schema_status").status_code == 403
        with service.client() as c:
            assert c.get("/flows").status_code == 200


def test_service_alone_module_has_the_same_options(tmp_path: Path) -> None:
    env = dict(os.environ, COLUMNS="300")
    out = subprocess.run(
        [sys.executable, "-m", "mfstack.service", "--help"], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 0 and "--api-key" in out.stdout and "--migration-port" in out.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "mfstack.service", "--db", "mysql://x/y"], capture_output=True, text=True, timeout=60
    )
    assert bad.returncode != 0 and "not supported" in bad.stderr and "Traceback" not in bad.stderr


def test_idle_memory_is_under_80_mb(tmp_path: Path) -> None:
    with running(f"sqlite:///{tmp_path}/m.db", tmp_path) as service:
        rss_kb = int(
            next(
                line
                for line in Path(f"/proc/{service.proc.pid}/status").read_text().splitlines()
                if line.startswith("VmRSS")
            ).split()[1]
        )
    print(f"idle RSS {rss_kb / 1024:.1f} MiB")
    assert rss_kb < 80 * 1024


def test_sigterm_lets_an_in_flight_request_finish(tmp_path: Path) -> None:
    """A metadata POST whose body is still arriving when SIGTERM lands is answered and stored."""
    service = start(f"sqlite:///{tmp_path}/m.db", tmp_path)
    with service.client() as c:
        c.post("/flows/G", json={})
        c.post("/flows/G/run", json={})
        c.post("/flows/G/runs/1/steps/s/step", json={})
        c.post("/flows/G/runs/1/steps/s/task", json={})
    rows = json.dumps([{"field_name": f"f{i}", "value": "v", "type": "t"} for i in range(50)]).encode()
    first_sent = threading.Event()

    def slow_body() -> Iterator[bytes]:
        yield rows[:10]
        first_sent.set()
        time.sleep(1.0)  # SIGTERM arrives while the body is still being sent
        yield rows[10:]

    answers: list[httpx.Response] = []
    with service.client() as c:
        sender = threading.Thread(
            target=lambda: answers.append(c.post("/flows/G/runs/1/steps/s/tasks/1/metadata", content=slow_body()))
        )
        sender.start()
        assert first_sent.wait(10)
        service.proc.send_signal(signal.SIGTERM)
        sender.join(30)
    assert answers and answers[0].status_code == 200 and answers[0].json() == {"metadata_created": 50}
    stop(service)
    with running(f"sqlite:///{tmp_path}/m.db", tmp_path) as again, again.client() as c:
        assert len(c.get("/flows/G/runs/1/steps/s/tasks/1/metadata").json()) == 50
