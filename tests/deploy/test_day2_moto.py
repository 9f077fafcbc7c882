"""Day-2 operations against a real moto server over HTTP: the Metaflow profile (read back by the
real `metaflow` package), the API key value, trust-policy grants on a real IAM role, and the AWS
CLI role profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from deploy_testkit import body, small_template

from mfstack import apikey, profile, roles
from mfstack.aws import AwsContext
from mfstack.deploy import apply, plan, stackinfo
from mfstack.errors import MfstackError


def _stack(aws: AwsContext, name: str, params: dict[str, str]) -> stackinfo.StackInfo:
    req = plan.PlanRequest(name, body(small_template()), {"TableName": f"{name}-t", **params}, {})
    apply.execute(aws, plan.create_plan(aws, req, sleep=lambda _s: None), apply.ApplyOptions(sleep=lambda _s: None))
    return stackinfo.require_stack(aws, name)


def test_profile_from_outputs_is_what_metaflow_reads(aws: AwsContext, stack_name: str, tmp_path: Path) -> None:
    key = aws.client("apigateway").create_api_key(name=f"{stack_name}-key", enabled=True)
    info = _stack(
        aws,
        stack_name,
        {"ApiKeyIdValue": key["id"], "ServiceUrlValue": "https://example.execute-api.us-east-1.amazonaws.com/api"},
    )
    fetched = apikey.stack_api_key(aws, info.outputs)
    assert fetched is not None and fetched.value == key["value"] and fetched.key_id == key["id"]
    settings = profile.metaflow_config(info.outputs, fetched.value)
    written = profile.write_metaflow_profile(settings, name="cloud", home=tmp_path)
    assert written.path == tmp_path / "config_cloud.json"
    assert written.path.stat().st_mode & 0o777 == 0o600
    env = {**os.environ, "METAFLOW_HOME": str(tmp_path), "METAFLOW_PROFILE": "cloud", "USERNAME": "tester"}
    code = (
        "import json; from metaflow import metaflow_config as c; "
        "print(json.dumps([c.DEFAULT_DATASTORE, c.DEFAULT_METADATA, c.DATASTORE_SYSROOT_S3, c.SERVICE_URL, "
        "c.SERVICE_HEADERS.get('x-api-key'), c.SFN_DYNAMO_DB_TABLE, c.ECS_S3_ACCESS_IAM_ROLE]))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen == [
        "s3",
        "service",
        info.outputs["MetaflowDataStoreS3Url"],
        "https://example.execute-api.us-east-1.amazonaws.com/api",
        key["value"],
        f"{stack_name}-t",
        info.outputs["ECSJobRoleForBatchJobs"],
    ]
    with pytest.raises(MfstackError, match="already exists"):
        profile.write_metaflow_profile(settings, name="cloud", home=tmp_path)


def test_missing_api_key_is_a_clear_error(aws: AwsContext) -> None:
    with pytest.raises(MfstackError, match="does not exist in API Gateway"):
        apikey.stack_api_key(aws, {"ApiKeyId": "nokey123"})
    assert apikey.stack_api_key(aws, {}) is None


def test_grant_and_revoke_edit_a_real_trust_policy(aws: AwsContext, stack_name: str) -> None:
    role_arn = _stack(aws, stack_name, {}).outputs["MetaflowUserRoleArn"]
    alice = "arn:aws:iam::123456789012:user/alice"
    first = roles.grant(aws, role_arn, alice)
    assert first.changed and alice in first.principals
    assert not roles.grant(aws, role_arn, alice).changed  # idempotent
    assert roles.list_principals(aws, role_arn) == ("arn:aws:iam::123456789012:root", alice)
    doc = aws.client("iam").get_role(RoleName=roles.role_name(role_arn))["Role"]["AssumeRolePolicyDocument"]
    assert {"Service": "ec2.amazonaws.com"} in [s["Principal"] for s in doc["Statement"]]  # other statements kept
    gone = roles.revoke(aws, role_arn, alice)
    assert gone.changed and alice not in roles.list_principals(aws, role_arn)
    assert not roles.revoke(aws, role_arn, alice).changed
    assert roles.list_principals(aws, role_arn) == ("arn:aws:iam::123456789012:root",)
    with pytest.raises(MfstackError, match="not an IAM principal ARN"):
        roles.grant(aws, role_arn, "alice")


def test_aws_role_profile_keeps_other_profiles_and_comments(tmp_path: Path) -> None:
    cfg = tmp_path / "config"
    cfg.write_text("# my settings\n[default]\nregion = eu-west-1\n\n[profile work]\nregion = us-west-2 # work\n")
    arn = "arn:aws:iam::123456789012:role/metaflow-user"
    first = profile.write_aws_role_profile("metaflow", arn, "work", "us-east-1", path=cfg)
    assert not first.replaced and first.backup is None
    again = profile.write_aws_role_profile("metaflow", arn.replace("user", "user2"), "work", path=cfg)
    assert again.replaced and again.backup is not None and again.backup.exists()
    text = cfg.read_text()
    assert text.startswith(
        "# my settings\n[default]\nregion = eu-west-1\n\n[profile work]\nregion = us-west-2 # work\n"
    )
    assert text.count("[profile metaflow]") == 1 and "role/metaflow-user2" in text and "region = us-east-1" not in text
    import configparser

    parsed = configparser.ConfigParser()
    parsed.read(cfg)
    assert parsed["profile metaflow"]["source_profile"] == "work"
