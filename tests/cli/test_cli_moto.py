"""The day-1 and day-2 commands end to end against a real moto server over HTTP, on a small
template moto's CloudFormation can create (it cannot create the full Metaflow template)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from pathlib import Path

import boto3
from cli_testkit import Result
from deploy_testkit import body, small_template

Cli = Callable[..., Result]


def _template(tmp_path: Path, name: str, key_id: str) -> str:
    tpl = small_template(f"{name}-t")
    tpl["Parameters"]["ApiKeyIdValue"]["Default"] = key_id
    path = tmp_path / "stack.json"
    path.write_text(body(tpl))
    return str(path)


def test_deploy_configure_day2_and_destroy(cli: Cli, moto_server: str, tmp_path: Path) -> None:
    key = boto3.client("apigateway", endpoint_url=moto_server).create_api_key(name="e2e", enabled=True)
    target = ["--stack-name", "e2e", "--endpoint-url", moto_server]
    r = cli("deploy", "--template", _template(tmp_path, "e2e", key["id"]), "--yes", "--tag", "team=ml", *target)
    assert r.code == 0, r.text
    assert (
        "Plan for stack 'e2e' (create)" in r.text
        and "CREATE_COMPLETE" in r.text
        and "Wrote the Metaflow profile" in r.text
    )
    assert key["value"] not in r.out + r.err  # never printed without --show-secrets
    config = json.loads((Path(os.environ["METAFLOW_HOME"]) / "config.json").read_text())
    assert config["METAFLOW_SERVICE_AUTH_KEY"] == key["value"] and config["METAFLOW_DEFAULT_METADATA"] == "service"

    again = cli("deploy", "--template", _template(tmp_path, "e2e", key["id"]), "--yes", *target)
    assert again.code == 0 and "No changes" in again.text

    assert "already up to date" in cli("configure", *target).text
    profile_file = Path(os.environ["METAFLOW_HOME"]) / "config.json"
    profile_file.write_text(json.dumps({**config, "METAFLOW_USER": "edited by hand"}))
    refused = cli("configure", *target)
    assert refused.code == 1 and "already exists" in refused.text and "--force" in refused.text
    assert "edited by hand" in profile_file.read_text()  # left as it was
    forced = cli("configure", "--force", *target)
    assert forced.code == 0 and "kept as" in forced.text and "edited by hand" not in profile_file.read_text()
    assert any("edited by hand" in p.read_text() for p in profile_file.parent.glob("config.json.*.bak"))
    named = cli("configure", "--metaflow-profile", "team", *target)
    assert named.code == 0 and "export METAFLOW_PROFILE=team" in named.text
    assert (Path(os.environ["METAFLOW_HOME"]) / "config_team.json").exists()

    outputs = json.loads(cli("outputs", "--json", *target).out)
    assert outputs["DDBTableName"] == "e2e-t" and outputs["ApiKeyId"] == key["id"]
    env = cli("env", "--show-secrets", *target).out
    assert f"export METAFLOW_SERVICE_AUTH_KEY={key['value']}" in env and "export METAFLOW_DEFAULT_DATASTORE=s3" in env
    assert f"export METAFLOW_S3_ENDPOINT_URL={moto_server}" in env
    assert key["value"] not in cli("api-key", *target).out
    assert cli("api-key", "--show", *target).out.strip() == key["value"]


def test_role_grant_writes_aws_profile_and_revoke(cli: Cli, moto_server: str, tmp_path: Path) -> None:
    target = ["--stack-name", "roles", "--endpoint-url", moto_server]
    assert cli("deploy", "--template", _template(tmp_path, "roles", ""), "--yes", "--no-configure", *target).code == 0
    alice = "arn:aws:iam::123456789012:user/alice"
    r = cli("role", "grant", alice, "--aws-profile", "metaflow-user", "--source-profile", "work", *target)
    assert r.code == 0 and "Granted" in r.text and "[profile metaflow-user]" in r.text
    aws_config = Path(os.environ["AWS_CONFIG_FILE"]).read_text()
    assert "[profile metaflow-user]" in aws_config and "source_profile = work" in aws_config
    assert "Already granted" in cli("role", "grant", alice, *target).text
    assert alice in cli("role", "list", *target).text
    assert "Revoked" in cli("role", "revoke", alice, *target).text
    assert alice not in cli("role", "list", *target).text


def test_doctor_status_and_destroy_keeping_data(cli: Cli, moto_server: str, tmp_path: Path) -> None:
    target = ["--stack-name", "gone", "--endpoint-url", moto_server]
    assert cli("deploy", "--template", _template(tmp_path, "gone", ""), "--yes", "--no-configure", *target).code == 0
    doc = cli("doctor", *target)
    assert doc.code == 1  # the template's service URL points at a closed port
    assert "ok S3 datastore read/write" in doc.text and "ok DynamoDB table: gone-t is ACTIVE" in doc.text
    assert "FAIL metadata service /ping" in doc.text and "hint:" in doc.text
    status = cli("status", *target)
    assert status.code == 0 and "CREATE_COMPLETE" in status.text and "MetaflowDataStoreS3Url" in status.text

    wrong = cli("destroy", "--yes", "--purge-data", "--confirm-bucket", "not-it", *target)
    assert wrong.code == 1 and "nothing was deleted" in wrong.text
    bucket = json.loads(cli("outputs", "--json", *target).out)["MetaflowDataStoreS3Url"].split("/")[2]
    r = cli("destroy", "--yes", *target)
    assert r.code == 0 and "deleted" in r.text and f"S3 bucket (your Metaflow data): {bucket}" in r.text
    s3 = boto3.client("s3", endpoint_url=moto_server)
    assert bucket in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert cli("status", *target).code == 1


def test_destroy_purge_data_removes_the_bucket(cli: Cli, moto_server: str, tmp_path: Path) -> None:
    target = ["--stack-name", "purged", "--endpoint-url", moto_server]
    assert cli("deploy", "--template", _template(tmp_path, "purged", ""), "--yes", "--no-configure", *target).code == 0
    bucket = json.loads(cli("outputs", "--json", *target).out)["MetaflowDataStoreS3Url"].split("/")[2]
    boto3.client("s3", endpoint_url=moto_server).put_object(Bucket=bucket, Key="metaflow/x", Body=b"1")
    r = cli("destroy", "--yes", "--purge-data", "--confirm-bucket", bucket, *target)
    assert r.code == 0 and f"Purged s3://{bucket}: 1 object versions deleted" in r.text and "Nothing was kept" in r.text


def test_cost_table(cli: Cli) -> None:
    r = cli("cost")
    assert r.code == 0 and "idle total" in r.text and "With the notebook on (ml.t3.medium)" in r.text
    assert "about $514/month" in r.text and "https://aws.amazon.com/ec2/pricing/on-demand/" in r.text
    on = cli("cost", "--set", "EnableSagemaker=true")
    assert "SageMaker notebook" in on.text and "With the notebook off" in on.text
    assert cli("cost", "--set", "Nope=1").code == 2


def test_data_dir_sends_status_and_doctor_to_the_local_stack(cli: Cli, tmp_path: Path) -> None:
    """With --data-dir, status and doctor look at the local stack (none runs there) and never call AWS."""
    empty = tmp_path / "no-stack"
    empty.mkdir()
    status = cli("status", "--data-dir", str(empty))
    assert status.code == 1 and f"Local stack in {empty}: stopped" in status.text
    doctor = cli("doctor", "--data-dir", str(empty))
    assert doctor.code == 1 and "mfstack up" in doctor.text


def test_synthesized_template_is_planned_and_staged_when_large(cli: Cli, moto_server: str) -> None:
    """The real template goes through a change set on moto (staged in S3 when above the 51,200-byte
    inline limit); without --yes and without a terminal nothing is applied (moto could not create it)."""
    from mfstack import cost
    from mfstack.deploy.template import INLINE_LIMIT, compact
    from mfstack.settings import resolve
    from mfstack.stack import build_template, render

    r = cli("deploy", "--stack-name", "real", "--endpoint-url", moto_server)
    assert r.code == 1 and "Pass --yes" in r.text
    assert "Plan for stack 'real' (create)" in r.text
    for resource in ("RDSMasterInstance", "MetaflowS3Bucket", "ComputeEnvironment", "NLB", "ApiKey"):
        assert re.search(rf"add\s*│\s*{resource}\s", r.text), resource
    assert f"Estimated idle cost: ${cost.estimate(resolve({})).idle_total:,.2f}/month" in r.text
    large = len(compact(render(build_template(resolve({})), "json")).encode()) > INLINE_LIMIT
    s3 = boto3.client("s3", endpoint_url=moto_server)
    staged = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith("mfstack-templates-")]
    keys = [o["Key"] for name in staged for o in s3.list_objects_v2(Bucket=name).get("Contents", [])]
    assert any(k.startswith("real/") for k in keys) == large


YAML_TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  TableName: {Type: String, Default: yaml-t}
Resources:
  MetaflowS3Bucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
  StepFunctionsStateDDB:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: !Ref TableName
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pathspec, AttributeType: S}]
      KeySchema: [{AttributeName: pathspec, KeyType: HASH}]
Outputs:
  MetaflowDataStoreS3Url:
    Value: !Sub 's3://${MetaflowS3Bucket}/metaflow'
  DDBTableName:
    Value: !Ref StepFunctionsStateDDB
"""


def test_yaml_template_with_short_forms(cli: Cli, moto_server: str, tmp_path: Path) -> None:
    path = tmp_path / "custom.yaml"
    path.write_text(YAML_TEMPLATE)
    target = ["--stack-name", "yaml", "--endpoint-url", moto_server]
    r = cli("deploy", "--template", str(path), "--yes", "--no-configure", *target)
    assert r.code == 0, r.text
    outputs = json.loads(cli("outputs", "--json", *target).out)
    assert outputs["DDBTableName"] == "yaml-t" and outputs["MetaflowDataStoreS3Url"].endswith("/metaflow")
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources: [unclosed\n")
    bad = cli("deploy", "--template", str(broken), "--yes", *target)
    assert bad.code == 1 and "neither valid JSON nor valid YAML" in bad.text
