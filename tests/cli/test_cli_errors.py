"""Every error people will hit is one paragraph and a non-zero exit, never a traceback.

AWS answers that no emulator gives on demand (expired token, a stuck stack, throttling) come from a
canned CloudFormation endpoint on a loopback port: real HTTP, real botocore parsing and retries.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_testkit import EVENTS_XML, CannedCfn, Result, error_xml, stacks_xml
from deploy_testkit import body, small_template

from mfstack.deploy import apply

Cli = Callable[..., Result]


def test_bad_setting_is_refused_before_any_aws_call(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")  # no credentials: an AWS call would fail differently
    r = cli("deploy", "--set", "MinVCPUBatch=8", "--yes")
    assert r.code == 2 and "MinVCPUBatch <= DesiredVCPUBatch <= MaxVCPUBatch" in r.text
    r = cli("deploy", "--set", "BatchType=gpu")
    assert r.code == 2 and "BatchType='gpu' is not valid: BatchType takes one of ec2, fargate" in r.text
    r = cli("deploy", "--tag", "novalue")
    assert r.code == 2 and "not a tag" in r.text


def test_no_credentials(cli: Cli, monkeypatch: pytest.MonkeyPatch, moto_server: str) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    r = cli("status", "--endpoint-url", moto_server)
    assert r.code == 1 and "No AWS credentials were found" in r.text and "aws configure" in r.text


def test_expired_credentials(cli: Cli, canned: CannedCfn) -> None:
    canned.answers["DescribeStacks"] = (
        403,
        error_xml("ExpiredToken", "The security token included in the request is expired"),
    )
    r = cli("status", "--endpoint-url", canned.url)
    assert r.code == 1 and "credentials have expired" in r.text


def test_wrong_region(cli: Cli) -> None:
    r = cli("status", "--region", "us-est-1")
    assert r.code == 1 and "'us-est-1' is not an AWS region" in r.text


def test_stack_missing_in_this_region(cli: Cli, moto_server: str) -> None:
    r = cli("status", "--stack-name", "absent", "--endpoint-url", moto_server)
    assert r.code == 1 and "no stack named 'absent'" in r.text and "--region" in r.text


def test_stack_name_taken_by_another_stack(cli: Cli, moto_server: str, tmp_path: Path) -> None:
    import boto3

    cfn = boto3.client("cloudformation", endpoint_url=moto_server)
    cfn.create_stack(StackName="taken", TemplateBody=json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
    tpl = tmp_path / "t.json"
    tpl.write_text(body(small_template("taken-t")))
    r = cli("deploy", "--template", str(tpl), "--yes", "--stack-name", "taken", "--endpoint-url", moto_server)
    assert r.code == 1 and "taken by a stack that mfstack did not create" in r.text and "--stack-name" in r.text


@pytest.mark.parametrize(
    ("status", "advice"),
    [("UPDATE_ROLLBACK_FAILED", "continue-update-rollback"), ("ROLLBACK_COMPLETE", "mfstack destroy")],
)
def test_stuck_stack_says_what_to_do(cli: Cli, canned: CannedCfn, tmp_path: Path, status: str, advice: str) -> None:
    canned.answers["DescribeStacks"] = (200, stacks_xml(status, {"mfstack:managed": "true"}))
    tpl = tmp_path / "t.json"
    tpl.write_text(body(small_template()))
    r = cli("deploy", "--template", str(tpl), "--yes", "--endpoint-url", canned.url)
    assert r.code == 1 and status in r.text and advice in r.text
    assert "CreateChangeSet" not in canned.calls


def test_throttling_is_retried_and_not_shown(cli: Cli, canned: CannedCfn) -> None:
    canned.throttle_first = 2
    canned.answers["DescribeStacks"] = (200, stacks_xml("CREATE_COMPLETE", {"mfstack:managed": "true"}))
    canned.answers["DescribeStackEvents"] = (200, EVENTS_XML)
    r = cli("status", "--endpoint-url", canned.url)
    assert r.code == 0 and "CREATE_COMPLETE" in r.text and "hrottl" not in r.text
    assert canned.calls[:3] == ["DescribeStacks"] * 3


def test_ctrl_c_during_deploy_says_the_deployment_goes_on(
    cli: Cli, moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interrupt is raised by a stand-in for `apply.execute` (a real Ctrl-C cannot be sent
    into the same process reliably); the plan before it runs against the real moto server."""

    def interrupted(*_args: object, **_kwargs: object) -> apply.DeployResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(apply, "execute", interrupted)
    tpl = tmp_path / "t.json"
    tpl.write_text(body(small_template("ctrlc-t")))
    r = cli("deploy", "--template", str(tpl), "--yes", "--stack-name", "ctrlc", "--endpoint-url", moto_server)
    assert r.code == 130
    assert "goes on in AWS" in r.text and f"mfstack status --stack-name ctrlc --endpoint-url {moto_server}" in r.text


def test_deploy_without_yes_and_without_a_terminal_changes_nothing(cli: Cli, moto_server: str, tmp_path: Path) -> None:
    tpl = tmp_path / "t.json"
    tpl.write_text(body(small_template("noyes-t")))
    r = cli("deploy", "--template", str(tpl), "--stack-name", "noyes", "--endpoint-url", moto_server)
    assert r.code == 1 and "Pass --yes" in r.text and "Plan for stack 'noyes'" in r.text
    assert cli("status", "--stack-name", "noyes", "--endpoint-url", moto_server).code == 1  # no stack left behind


def test_invalid_principal_and_bad_shell(cli: Cli, moto_server: str) -> None:
    r = cli("role", "grant", "alice", "--endpoint-url", moto_server)
    assert r.code == 1 and "'alice' is not an IAM principal ARN" in r.text
    r = cli("env", "--shell", "tcsh", "--endpoint-url", moto_server)
    assert r.code == 1 and "not supported" in r.text


def test_config_file_settings_and_their_errors(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings from --config are validated like --set (which wins), before any AWS call."""
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    yaml_cfg = tmp_path / "settings.yaml"
    yaml_cfg.write_text("MinVCPUBatch: 4\nDesiredVCPUBatch: 2\n")
    r = cli("deploy", "--config", str(yaml_cfg))
    assert r.code == 2 and "got 4 <= 2 <= 64" in r.text
    r = cli("deploy", "--config", str(yaml_cfg), "--set", "MinVCPUBatch=1", "--set", "VPCCidr=10.0.0.0/16")
    assert r.code == 2 and "Subnet1Cidr=10.20.0.0/24 is not inside VPCCidr=10.0.0.0/16" in r.text
    params = tmp_path / "params.json"
    params.write_text(json.dumps([{"ParameterKey": "EnableSagemaker", "ParameterValue": "maybe"}]))
    r = cli("deploy", "--config", str(params))
    assert r.code == 2 and "EnableSagemaker='maybe' is not valid" in r.text
    r = cli("deploy", "--config", str(tmp_path / "missing.yaml"))
    assert r.code == 2 and "Cannot read the config file" in r.text


def test_destroy_refuses_a_stack_mfstack_did_not_create(cli: Cli, moto_server: str) -> None:
    import boto3

    cfn = boto3.client("cloudformation", endpoint_url=moto_server)
    cfn.create_stack(StackName="not-ours", TemplateBody=json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
    r = cli("destroy", "--yes", "--stack-name", "not-ours", "--endpoint-url", moto_server)
    assert r.code == 1 and "was not created by mfstack" in r.text
    assert cfn.describe_stacks(StackName="not-ours")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
