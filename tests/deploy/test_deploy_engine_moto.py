"""The deploy engine against a real moto server over HTTP: create, update, no-op, staging, destroy."""

from __future__ import annotations

import pytest
from deploy_testkit import body, small_template

from mfstack.aws import AwsContext
from mfstack.deploy import apply, destroy, plan, stackinfo, template
from mfstack.errors import AwsError


def _deploy(aws: AwsContext, name: str, tpl: dict[str, object], params: dict[str, str] | None = None) -> plan.Plan:
    values = {"TableName": f"{name}-t", **(params or {})}
    req = plan.PlanRequest(name, body(tpl), values, {"team": "ml"})
    return plan.create_plan(aws, req, sleep=lambda _s: None)


def test_create_plans_every_resource_and_applies(aws: AwsContext, stack_name: str) -> None:
    p = _deploy(aws, stack_name, small_template(), {"TableName": f"{stack_name}-t", "NotDeclared": "x"})
    assert p.change_set_type == "CREATE"
    assert {c.logical_id for c in p.changes} == {
        "MetaflowS3Bucket",
        "StepFunctionsStateDDB",
        "BatchS3TaskRole",
        "MetaflowUserRole",
    }
    assert {c.kind for c in p.changes} == {"add"}
    seen: list[str] = []
    result = apply.execute(aws, p, apply.ApplyOptions(on_event=lambda e: seen.append(e.status), sleep=lambda _s: None))
    assert result.ok and result.status == "CREATE_COMPLETE"
    assert "CREATE_COMPLETE" in seen
    info = stackinfo.require_stack(aws, stack_name)
    assert info.managed and info.tags["team"] == "ml" and info.tags[stackinfo.MANAGED_TAG] == "true"
    assert info.outputs["DDBTableName"] == f"{stack_name}-t"
    assert info.outputs["MetaflowDataStoreS3Url"].startswith("s3://")
    assert info.parameters["TableName"] == f"{stack_name}-t"


def test_update_goes_through_a_change_set_and_noop_is_success(aws: AwsContext, stack_name: str) -> None:
    apply.execute(aws, _deploy(aws, stack_name, small_template()), apply.ApplyOptions(sleep=lambda _s: None))
    changed = small_template(extra={"Queue": {"Type": "AWS::SQS::Queue"}})
    p = _deploy(aws, stack_name, changed)
    assert p.change_set_type == "UPDATE" and not p.no_changes
    result = apply.execute(aws, p, apply.ApplyOptions(sleep=lambda _s: None))
    assert result.ok and result.status == "UPDATE_COMPLETE"
    resources = aws.client("cloudformation").list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    assert "Queue" in {r["LogicalResourceId"] for r in resources}
    again = _deploy(aws, stack_name, changed)
    assert again.no_changes and again.changes == ()


def test_template_above_inline_limit_is_staged_in_s3(aws: AwsContext, stack_name: str) -> None:
    tpl = small_template()
    tpl["Description"] = "x" * 1000
    tpl["Metadata"] = {"Padding": ["y" * 1000 for _ in range(60)]}
    assert len(body(tpl)) > template.INLINE_LIMIT
    p = _deploy(aws, stack_name, tpl)
    result = apply.execute(aws, p, apply.ApplyOptions(sleep=lambda _s: None))
    assert result.ok
    bucket = template.staging_bucket(aws)
    keys = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket=bucket)["Contents"]]
    assert any(k.startswith(f"{stack_name}/") for k in keys)


def test_stack_taken_by_a_foreign_stack_is_refused(aws: AwsContext, stack_name: str) -> None:
    foreign = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}
    aws.client("cloudformation").create_stack(StackName=stack_name, TemplateBody=body(foreign))
    with pytest.raises(AwsError, match="did not create"):
        _deploy(aws, stack_name, small_template())


def test_destroy_keeps_the_bucket_and_purge_removes_it(aws: AwsContext, stack_name: str) -> None:
    apply.execute(aws, _deploy(aws, stack_name, small_template()), apply.ApplyOptions(sleep=lambda _s: None))
    info = stackinfo.require_stack(aws, stack_name)
    bucket = info.outputs["MetaflowDataStoreS3Url"].removeprefix("s3://").split("/")[0]
    s3 = aws.client("s3")
    s3.put_object(Bucket=bucket, Key="metaflow/Flow/1/data", Body=b"keep me")
    result = destroy.destroy(aws, info, sleep=lambda _s: None)
    assert result.deleted
    assert [(k.logical_id, k.name) for k in result.kept] == [("MetaflowS3Bucket", bucket)]
    assert stackinfo.describe_stack(aws, stack_name) is None
    assert s3.get_object(Bucket=bucket, Key="metaflow/Flow/1/data")["Body"].read() == b"keep me"
    assert destroy.purge_bucket(aws, bucket) == 1
    assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}


def test_missing_stack_names_the_region(aws: AwsContext) -> None:
    with pytest.raises(AwsError, match="no stack named 'nope' in us-east-1"):
        stackinfo.require_stack(aws, "nope")
