"""The notebook's on-start script, rendered with concrete values and run by bash.

The script is taken from the synthesized template, its CloudFormation substitutions replaced by
the same resolver the parliament gate uses, and its home directory pointed at a temp dir. `aws`,
`chown` and `sudo` are shell shims on PATH: there is no SageMaker instance, AWS API or ec2-user
here; everything else (bash, python3, the JSON it writes) is real.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

from stack_testkit import template_dict

from mfstack import settings
from mfstack.gates.resolve import context, resolve
from mfstack.stack.notebook import HOME
from mfstack.stack.outputs import AUTH_KEY_SETTING, OUTPUTS, PROFILE_CONSTANTS

KEY = (("EnableSagemaker", "true"),)


def rendered_script(auth: str) -> str:
    overrides = dict(KEY) | {"APIBasicAuth": auth}
    template = template_dict(tuple(sorted(overrides.items())))
    ctx = context(template, settings.resolve(overrides), "us-east-1")
    content = template["Resources"]["NotebookLifecycleConfig"]["Properties"]["OnStart"][0]["Content"]
    script: str = resolve(content["Fn::Base64"], ctx)
    return script


def shims(bin_dir: Path, aws_ok: bool) -> None:
    bin_dir.mkdir()
    aws = "echo the-api-key-value" if aws_ok else "echo 'AccessDenied' >&2; exit 255"
    for name, body in (("aws", aws), ("chown", "exit 0"), ("sudo", "exit 0")):
        path = bin_dir / name
        path.write_text(f"#!/bin/bash\n{body}\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)


def run(tmp_path: Path, auth: str, aws_ok: bool = True) -> tuple[subprocess.CompletedProcess[str], Path]:
    home = tmp_path / "home"
    home.mkdir()
    shims(tmp_path / "bin", aws_ok)
    script = tmp_path / "on-start.sh"
    script.write_text(rendered_script(auth).replace(HOME, str(home)))
    env = os.environ | {"PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}"}
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=60, env=env)
    return result, home / ".metaflowconfig" / "config.json"


def test_script_writes_every_metaflow_setting_and_the_api_key(tmp_path: Path) -> None:
    result, config_path = run(tmp_path, "true")
    assert result.returncode == 0, result.stderr
    config = json.loads(config_path.read_text())
    expected = {spec.metaflow_key for spec in OUTPUTS if spec.metaflow_key} | set(PROFILE_CONSTANTS)
    assert set(config) == expected | {AUTH_KEY_SETTING}
    assert config[AUTH_KEY_SETTING] == "the-api-key-value"
    assert config["METAFLOW_DATASTORE_SYSROOT_S3"].startswith("s3://") and "${" not in json.dumps(config)
    assert config["METAFLOW_SERVICE_URL"].startswith("https://") and config["METAFLOW_SERVICE_URL"].endswith("/api/")
    assert stat.S_IMODE(config_path.stat().st_mode) == 0o600


def test_without_auth_there_is_no_key_to_fetch(tmp_path: Path) -> None:
    result, config_path = run(tmp_path, "false")
    assert result.returncode == 0, result.stderr
    assert AUTH_KEY_SETTING not in json.loads(config_path.read_text())


def test_a_failed_key_lookup_still_starts_the_notebook(tmp_path: Path) -> None:
    result, config_path = run(tmp_path, "true", aws_ok=False)
    assert result.returncode == 0
    assert "could not read API key" in result.stderr
    assert "METAFLOW_BATCH_JOB_QUEUE" in json.loads(config_path.read_text())
