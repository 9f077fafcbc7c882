"""`deploy` on AWS answers no emulator produces, served by a canned CloudFormation endpoint over
real HTTP: a plan that would replace the database (guard), and an update that fails and rolls back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cli_testkit import CS_ID, STACK_ID, CannedCfn, Result, change_set_xml, error_xml, events_xml, response, stacks_xml
from deploy_testkit import body, small_template

Cli = Callable[..., Result]
MANAGED = {"mfstack:managed": "true"}
CREATED = response("CreateChangeSet", f"<Id>{CS_ID}</Id><StackId>{STACK_ID}</StackId>")


def _template(tmp_path: Path) -> str:
    path = tmp_path / "t.json"
    path.write_text(body(small_template()))
    return str(path)


def test_guard_refuses_database_replacement_and_discards_the_plan(cli: Cli, canned: CannedCfn, tmp_path: Path) -> None:
    canned.answers["DescribeStacks"] = (200, stacks_xml("UPDATE_COMPLETE", MANAGED))
    canned.answers["CreateChangeSet"] = (200, CREATED)
    canned.answers["DescribeChangeSet"] = (
        200,
        change_set_xml([("Modify", "RDSMasterInstance", "AWS::RDS::DBInstance", "True", "StorageEncrypted")]),
    )
    canned.answers["DeleteChangeSet"] = (200, response("DeleteChangeSet", ""))
    r = cli("deploy", "--template", _template(tmp_path), "--yes", "--endpoint-url", canned.url)
    assert r.code == 3
    assert "RDSMasterInstance (database) would be replaced because StorageEncrypted cannot change in place" in r.text
    assert "--allow-data-loss" in r.text
    assert "DeleteChangeSet" in canned.calls and "ExecuteChangeSet" not in canned.calls


def test_failed_update_prints_the_root_cause_and_exits_non_zero(cli: Cli, canned: CannedCfn, tmp_path: Path) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    earlier = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    stack = "AWS::CloudFormation::Stack"
    canned.sequences["DescribeStacks"] = [
        (200, stacks_xml("UPDATE_COMPLETE", MANAGED)),
        (200, stacks_xml("UPDATE_ROLLBACK_COMPLETE", MANAGED)),
    ]
    canned.answers["CreateChangeSet"] = (200, CREATED)
    canned.answers["DescribeChangeSet"] = (
        200,
        change_set_xml([("Modify", "JobQueue", "AWS::Batch::JobQueue", "False", "Priority")]),
    )
    canned.answers["ExecuteChangeSet"] = (200, response("ExecuteChangeSet", ""))
    rows = [
        (earlier, "metaflow", stack, "UPDATE_COMPLETE", ""),  # the previous operation
        (now, "metaflow", stack, "UPDATE_IN_PROGRESS", "User Initiated"),
        (now, "JobQueue", "AWS::Batch::JobQueue", "UPDATE_FAILED", "Compute environment [ce-1] is INVALID"),
        (now, "MetadataService", "AWS::ECS::Service", "UPDATE_FAILED", "Resource update cancelled"),
        (now, "metaflow", stack, "UPDATE_ROLLBACK_COMPLETE", ""),
    ]
    canned.sequences["DescribeStackEvents"] = [(200, events_xml(rows[:1])), (200, events_xml(rows))]
    r = cli("deploy", "--template", _template(tmp_path), "--yes", "--endpoint-url", canned.url)
    assert r.code == 1
    assert "failed and the stack is UPDATE_ROLLBACK_COMPLETE" in r.text
    assert "Root cause: JobQueue (AWS::Batch::JobQueue) UPDATE_FAILED: Compute environment [ce-1] is INVALID" in r.text
    assert r.out.count("UPDATE_FAILED") == 2  # every event shown once, as one plain line
    assert "UPDATE_COMPLETE" not in r.out  # the previous operation's events are not replayed


def test_failed_creation_says_to_destroy_before_deploying_again(cli: Cli, canned: CannedCfn, tmp_path: Path) -> None:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    missing = error_xml("ValidationError", "Stack with id metaflow does not exist")
    canned.sequences["DescribeStacks"] = [(400, missing), (200, stacks_xml("ROLLBACK_COMPLETE", MANAGED))]
    canned.answers["CreateChangeSet"] = (200, CREATED)
    canned.answers["DescribeChangeSet"] = (
        200,
        change_set_xml([("Add", "NLB", "AWS::ElasticLoadBalancingV2::LoadBalancer", "", "")]),
    )
    canned.answers["ExecuteChangeSet"] = (200, response("ExecuteChangeSet", ""))
    rows = [
        (now, "metaflow", "AWS::CloudFormation::Stack", "REVIEW_IN_PROGRESS", "User Initiated"),
        (now, "NLB", "AWS::ElasticLoadBalancingV2::LoadBalancer", "CREATE_FAILED", "Subnets are in the same AZ"),
        (now, "metaflow", "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE", ""),
    ]
    canned.sequences["DescribeStackEvents"] = [(200, events_xml(rows[:1])), (200, events_xml(rows))]
    r = cli("deploy", "--template", _template(tmp_path), "--yes", "--endpoint-url", canned.url)
    assert r.code == 1 and "Root cause: NLB" in r.text and "Subnets are in the same AZ" in r.text
    assert f"delete it with `mfstack destroy --endpoint-url {canned.url}` (data is kept)" in r.text
