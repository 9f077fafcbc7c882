"""The issue's end-to-end test: `mfstack up`, real flows through `mfstack run`, the client API reads
them back, tags change, a crash of the emulator and `down` -> `up` lose nothing, `down` leaves no
process behind, and `step-functions create` registers a state machine in the emulator.

Everything is real: the CLI in subprocesses, the moto server, the metadata service on SQLite and
the `metaflow` client, with no AWS credentials in the environment.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from .kit import EXAMPLES, LocalStack, alive, clean_env, free_port_pair, processes_mentioning

pytestmark = pytest.mark.slow

READ = """
import json
from metaflow import Flow, S3, namespace
namespace(None)
fan = Flow("FanoutFlow").latest_run
par = Flow("ParamsFlow").latest_run
with S3(run=par) as s3:
    obj = s3.get("greetings.txt").text
print(json.dumps({
    "fan": fan.id, "fan_ok": fan.successful, "total": fan.data.total,
    "squares": sorted(t.data.value for t in fan["square"]), "tags": sorted(fan.user_tags),
    "par": par.id, "par_ok": par.successful, "greetings": par.data.greetings, "object": obj,
}))
"""

TAG = """
import json
from metaflow import Flow, namespace
namespace(None)
run = Flow("FanoutFlow").latest_run
run.add_tag("keep-me")
run.add_tag("drop-me")
run.remove_tag("drop-me")
print(json.dumps({"tags": sorted(run.user_tags)}))
"""


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
            os.kill(pid, signal.SIGKILL)


def _wait_gone(pids: list[int]) -> list[int]:
    deadline = time.monotonic() + 30
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return [p for p in pids if alive(p)]


def test_up_run_read_restart_down(stack: LocalStack) -> None:
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"} & set(stack.env)
    up = stack.up()
    assert up.returncode == 0, up.stdout + up.stderr
    assert "Local stack ready" in up.stdout and "mfstack down" in up.stdout and "Survives" in up.stdout
    profile = Path(stack.env["METAFLOW_HOME"]) / "config_local.json"
    settings = json.loads(profile.read_text())
    assert stat.S_IMODE(profile.stat().st_mode) == 0o600
    assert settings["METAFLOW_S3_ENDPOINT_URL"] == f"http://127.0.0.1:{stack.port_base}"
    assert settings["METAFLOW_SERVICE_URL"] == f"http://127.0.0.1:{stack.port_base + 1}"
    pids = stack.pids()
    assert sorted(pids) == ["emulator", "service"]

    again = stack.up()
    assert again.returncode == 0 and "already running" in again.stdout
    assert stack.pids() == pids

    fan = stack.run(sys.executable, str(EXAMPLES / "fanout.py"), "run", "--width", "3")
    assert fan.returncode == 0, fan.stdout + fan.stderr
    par = stack.run(sys.executable, str(EXAMPLES / "params.py"), "run", "--person", "Ada", "--times", "2")
    assert par.returncode == 0, par.stdout + par.stderr
    assert stack.python(TAG)["tags"] == ["keep-me"]

    before = stack.python(READ)
    assert before["fan_ok"] is True and before["par_ok"] is True
    assert (before["total"], before["squares"], before["tags"]) == (5, [0, 1, 4], ["keep-me"])
    assert before["greetings"] == ["hello Ada #1", "hello Ada #2"] and before["object"] == "hello Ada #1\nhello Ada #2"

    status = stack.cli("status", "--data-dir", str(stack.data_dir))
    assert status.returncode == 0 and "running" in status.stdout, status.stdout + status.stderr

    # A crash of the emulator: status says so, `up` recovers, and every object is still there.
    os.kill(pids["emulator"], signal.SIGKILL)
    assert _wait_gone([pids["emulator"]]) == []
    degraded = stack.cli("status", "--data-dir", str(stack.data_dir))
    assert degraded.returncode == 1 and "down" in degraded.stdout
    recovered = stack.up()
    assert recovered.returncode == 0 and "Recovered" in recovered.stdout, recovered.stdout + recovered.stderr
    assert stack.python(READ) == before

    down = stack.down()
    assert down.returncode == 0 and "Stopped" in down.stdout
    assert _wait_gone(list(stack.pids().values()) + list(pids.values())) == []
    assert processes_mentioning(str(stack.data_dir)) == []
    nothing = stack.down()
    assert nothing.returncode == 0 and "No local stack is running" in nothing.stdout
    refused = stack.run(sys.executable, "-c", "print(1)")
    assert refused.returncode == 1 and "No local stack is running" in refused.stderr

    assert stack.up().returncode == 0
    assert stack.python(READ) == before


def test_step_functions_create_and_shell_with_a_broken_aws_setup(stack: LocalStack) -> None:
    """The user's AWS_PROFILE names a profile that does not exist: the local stack never reads it."""
    stack.env["AWS_PROFILE"] = "no-such-profile"
    stack.env["SHELL"] = "/bin/sh"
    up = stack.up()
    assert up.returncode == 0, up.stdout + up.stderr
    shell = stack.cli("shell", "--data-dir", str(stack.data_dir), stdin='echo "$METAFLOW_PROFILE $AWS_ENDPOINT_URL"\n')
    assert shell.returncode == 0 and f"local http://127.0.0.1:{stack.port_base}" in shell.stdout
    created = stack.run(sys.executable, str(EXAMPLES / "fanout.py"), "step-functions", "create")
    assert created.returncode == 0, created.stdout + created.stderr
    assert "pushed to AWS Step Functions successfully" in created.stdout + created.stderr
    settings = json.loads((Path(stack.env["METAFLOW_HOME"]) / "config_local.json").read_text())
    sfn = boto3.client(
        "stepfunctions",
        endpoint_url=settings["METAFLOW_S3_ENDPOINT_URL"],
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    machines = sfn.list_state_machines()["stateMachines"]
    assert [m["name"] for m in machines] == ["FanoutFlow"]
    described = sfn.describe_state_machine(stateMachineArn=machines[0]["stateMachineArn"])
    assert described["roleArn"] == settings["METAFLOW_SFN_IAM_ROLE"]
    assert settings["METAFLOW_SFN_DYNAMO_DB_TABLE"] in described["definition"]  # the foreach's state table
    assert settings["METAFLOW_BATCH_JOB_QUEUE"] in described["definition"]
