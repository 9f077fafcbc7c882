"""The local stack's error cases, through the real CLI: one clear paragraph, the right exit code."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mfstack.cli import local as local_cli

from .kit import LocalStack, clean_env, free_port_pair, processes_mentioning


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[LocalStack]:
    home = tmp_path / "metaflow-home"
    home.mkdir()
    local = LocalStack(data_dir=tmp_path / "stack", port_base=free_port_pair(), env=clean_env(home))
    try:
        yield local
    finally:
        local.down()
        for pid in processes_mentioning(str(local.data_dir)):
            os.kill(pid, 9)


def _no_traceback(out: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in out.stdout + out.stderr


@pytest.mark.parametrize("offset", [0, 1])
def test_port_in_use_names_the_port_and_the_flag(stack: LocalStack, offset: int) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", stack.port_base + offset))
        taken.listen()
        out = stack.up()
    assert out.returncode == 1
    assert f"Port {stack.port_base + offset}" in out.stderr and "--port-base" in out.stderr
    assert stack.pids() == {}
    _no_traceback(out)


def test_profile_written_by_someone_else_is_left_alone(stack: LocalStack) -> None:
    mine = Path(stack.env["METAFLOW_HOME"]) / "config_local.json"
    mine.write_text(json.dumps({"METAFLOW_DATASTORE_SYSROOT_S3": "s3://my-own-bucket/metaflow"}))
    before = mine.read_text()
    out = stack.up()
    assert out.returncode == 1 and "--metaflow-profile" in out.stderr
    assert mine.read_text() == before and stack.pids() == {}
    _no_traceback(out)

    other = stack.up("--metaflow-profile", "local-test")
    assert other.returncode == 0, other.stdout + other.stderr
    assert (Path(stack.env["METAFLOW_HOME"]) / "config_local-test.json").exists()
    assert mine.read_text() == before


def test_stale_pid_file_after_a_crash_is_recovered(stack: LocalStack) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (stack.data_dir / "run").mkdir(parents=True)
    (stack.data_dir / "run" / "emulator.pid").write_text(dead.stdout)
    out = stack.up()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Recovered" in out.stdout and "emulator" in out.stdout
    assert stack.pids()["emulator"] != int(dead.stdout)
    logs = stack.cli("logs", "emulator", "--data-dir", str(stack.data_dir))
    assert logs.returncode == 0 and "AWS emulator serving on" in logs.stdout


def test_down_with_nothing_running_says_so(stack: LocalStack) -> None:
    out = stack.down()
    assert out.returncode == 0 and "No local stack is running" in out.stdout


def test_run_status_logs_without_a_stack(stack: LocalStack) -> None:
    run = stack.run(sys.executable, "-c", "print(1)")
    assert run.returncode == 1 and "mfstack up" in run.stderr
    status = stack.cli("status", "--data-dir", str(stack.data_dir))
    assert status.returncode == 1
    logs = stack.cli("logs", "database", "--data-dir", str(stack.data_dir))
    assert logs.returncode == 1 and "emulator, service" in logs.stderr
    for out in (run, status, logs):
        _no_traceback(out)


def test_data_dir_that_is_a_file(stack: LocalStack, tmp_path: Path) -> None:
    afile = tmp_path / "a-file"
    afile.write_text("x")
    out = stack.cli("up", "--data-dir", str(afile), "--port-base", str(stack.port_base))
    assert out.returncode != 0
    _no_traceback(out)


@pytest.mark.skipif(importlib.util.find_spec("jupyterlab") is not None, reason="jupyterlab is installed")
def test_notebook_without_the_extra(stack: LocalStack) -> None:
    out = stack.cli("notebook", "--data-dir", str(stack.data_dir))
    assert out.returncode == 1 and "mfstack[notebook]" in out.stderr
    _no_traceback(out)


def test_local_target_dispatch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_cli, "default_data_dir", lambda: tmp_path / "default")
    assert local_cli.local_target(tmp_path / "given", cloud_options_given=True) == (tmp_path / "given").resolve()
    assert local_cli.local_target(None, cloud_options_given=True) is None
    assert local_cli.local_target(None, cloud_options_given=False) is None  # nothing runs in the default dir
