"""From nothing to a Metaflow run: deploy a small stack on moto, configure, then run a real flow
with the S3 datastore (moto) and the real metadata service, and read it back with the client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from cli_testkit import Result
from deploy_testkit import body, small_template, start_service

Cli = Callable[..., Result]

FLOW = textwrap.dedent(
    """
    from metaflow import FlowSpec, step

    class CloudHelloFlow(FlowSpec):
        @step
        def start(self):
            self.numbers = [1, 2, 3]
            self.next(self.square, foreach="numbers")

        @step
        def square(self):
            self.value = self.input * self.input
            self.next(self.join)

        @step
        def join(self, inputs):
            self.total = sum(i.value for i in inputs)
            self.next(self.end)

        @step
        def end(self):
            pass

    if __name__ == "__main__":
        CloudHelloFlow()
    """
)
READ_BACK = "from metaflow import Flow; r = Flow('CloudHelloFlow').latest_run; print(r.successful, r.data.total)"


@pytest.mark.slow
def test_deployed_and_configured_stack_runs_a_flow(cli: Cli, moto_server: str, tmp_path: Path) -> None:
    key = boto3.client("apigateway", endpoint_url=moto_server).create_api_key(name="flow", enabled=True)
    proc, service_url = start_service(tmp_path, key["value"])
    try:
        tpl = small_template("flow-t")
        tpl["Parameters"]["ServiceUrlValue"]["Default"] = service_url
        tpl["Parameters"]["ApiKeyIdValue"]["Default"] = key["id"]
        (tmp_path / "stack.json").write_text(body(tpl))
        target = ["--stack-name", "flow", "--endpoint-url", moto_server]
        assert cli("deploy", "--template", str(tmp_path / "stack.json"), "--yes", "--no-configure", *target).code == 0
        assert cli("configure", "--metaflow-profile", "cloud", *target).code == 0
        home = Path(os.environ["METAFLOW_HOME"])
        assert json.loads((home / "config_cloud.json").read_text())["METAFLOW_S3_ENDPOINT_URL"] == moto_server
        (tmp_path / "flow.py").write_text(FLOW)
        env = {**os.environ, "METAFLOW_PROFILE": "cloud", "USERNAME": "tester", "METAFLOW_USER": "tester"}
        run = subprocess.run(
            [sys.executable, "flow.py", "run"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert run.returncode == 0, run.stderr[-2000:]
        root = json.loads((home / "config_cloud.json").read_text())["METAFLOW_DATASTORE_SYSROOT_S3"]
        bucket, prefix = root.removeprefix("s3://").split("/", 1)
        listed = boto3.client("s3", endpoint_url=moto_server).list_objects_v2(
            Bucket=bucket, Prefix=f"{prefix}/CloudHelloFlow/"
        )
        assert listed["KeyCount"] > 0  # artifacts went to the stack's bucket
        back = subprocess.run(
            [sys.executable, "-c", READ_BACK], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert back.stdout.split()[-2:] == ["True", "14"], back.stderr[-2000:]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
