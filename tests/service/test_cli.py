"""`mfstack service` as a user runs it: help, startup on SQLite, clear errors for bad options."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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
    service = start(f"sqlite:///{tmp_path}/m.db", tmp_path)
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
