"""Event sequences no emulator produces, driven through botocore's Stubber on the gateway's client.

moto cannot fail one resource and roll back, leave a stack stuck, or plan a replacement of a
database, so these tests attach a Stubber to the CloudFormation client of the AwsContext and feed
AWS's documented response shapes to the real engine code.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import ANY, Stubber
from deploy_testkit import body, small_template

from mfstack.aws import AwsContext
from mfstack.deploy import apply, guard, plan
from mfstack.deploy.stackinfo import MANAGED_TAG
from mfstack.errors import AwsError, GuardError

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/metaflow/abc"
CS_ID = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/mfstack-1/def"
T0 = datetime.now(UTC)


@pytest.fixture
def stubbed(aws_env: None) -> Iterator[tuple[AwsContext, Stubber]]:
    aws = AwsContext(region="us-east-1")
    stubber = Stubber(aws.client("cloudformation"))
    with stubber:
        yield aws, stubber
    stubber.assert_no_pending_responses()


def _stack(status: str, tags: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackName": "metaflow",
                "StackId": STACK_ID,
                "StackStatus": status,
                "CreationTime": T0,
                "Tags": [{"Key": k, "Value": v} for k, v in (tags or {MANAGED_TAG: "true"}).items()],
            }
        ]
    }


def _event(n: int, logical: str, rtype: str, status: str, reason: str = "") -> dict[str, Any]:
    return {
        "StackId": STACK_ID,
        "EventId": f"e{n}",
        "StackName": "metaflow",
        "LogicalResourceId": logical,
        "ResourceType": rtype,
        "ResourceStatus": status,
        "ResourceStatusReason": reason,
        "Timestamp": datetime.now(UTC) + timedelta(seconds=n),
    }


def test_failed_update_reports_the_first_real_failure_not_the_cascade(stubbed: tuple[AwsContext, Stubber]) -> None:
    aws, stub = stubbed
    stack_type = "AWS::CloudFormation::Stack"
    events = [
        _event(1, "metaflow", stack_type, "UPDATE_IN_PROGRESS", "User Initiated"),
        _event(2, "ComputeEnvironment", "AWS::Batch::ComputeEnvironment", "UPDATE_IN_PROGRESS"),
        _event(3, "MetadataService", "AWS::ECS::Service", "UPDATE_IN_PROGRESS"),
        _event(
            4,
            "ComputeEnvironment",
            "AWS::Batch::ComputeEnvironment",
            "UPDATE_FAILED",
            "Instance type c9.huge is not supported (Service: Batch, Status Code: 400)",
        ),
        _event(5, "MetadataService", "AWS::ECS::Service", "UPDATE_FAILED", "Resource update cancelled"),
        _event(
            6,
            "metaflow",
            stack_type,
            "UPDATE_ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to update: [ComputeEnvironment].",
        ),
        _event(7, "metaflow", stack_type, "UPDATE_ROLLBACK_COMPLETE"),
    ]
    older = _event(0, "metaflow", stack_type, "UPDATE_COMPLETE")
    older["Timestamp"] -= timedelta(hours=1)  # the last operation, an hour ago: not part of this one
    older["EventId"] = "old"
    stub.add_response("describe_stack_events", {"StackEvents": [older]}, {"StackName": "metaflow"})
    stub.add_response("execute_change_set", {}, {"ChangeSetName": CS_ID})
    stub.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_IN_PROGRESS"), {"StackName": "metaflow"})
    stub.add_response("describe_stack_events", {"StackEvents": [*reversed(events[:6]), older]}, {"StackName": STACK_ID})
    stub.add_response("describe_stacks", _stack("UPDATE_ROLLBACK_COMPLETE"), {"StackName": STACK_ID})
    stub.add_response("describe_stack_events", {"StackEvents": [*reversed(events), older]}, {"StackName": STACK_ID})
    seen: list[str] = []
    p = plan.Plan("metaflow", CS_ID, "UPDATE", ())
    result = apply.execute(
        aws, p, apply.ApplyOptions(on_event=lambda e: seen.append(e.event_id), sleep=lambda _s: None)
    )
    assert not result.ok and result.status == "UPDATE_ROLLBACK_COMPLETE"
    assert seen == [f"e{n}" for n in range(1, 8)]  # each event reported once, oldest first
    assert result.cause is not None
    assert result.cause.logical_id == "ComputeEnvironment"
    assert "c9.huge" in result.cause.reason
    assert result.cause.also_failed == ("MetadataService",)


def _replacement_change() -> dict[str, Any]:
    return {
        "Type": "Resource",
        "ResourceChange": {
            "Action": "Modify",
            "LogicalResourceId": "RDSMasterInstance",
            "PhysicalResourceId": "metaflow-db",
            "ResourceType": "AWS::RDS::DBInstance",
            "Replacement": "True",
            "Scope": ["Properties"],
            "Details": [
                {
                    "Target": {"Attribute": "Properties", "Name": "StorageEncrypted", "RequiresRecreation": "Always"},
                    "Evaluation": "Static",
                    "ChangeSource": "DirectModification",
                }
            ],
        },
    }


def test_guard_refuses_a_database_replacement_and_says_why(stubbed: tuple[AwsContext, Stubber]) -> None:
    aws, stub = stubbed
    stub.add_response("describe_stacks", _stack("UPDATE_COMPLETE"), {"StackName": "metaflow"})
    stub.add_response(
        "create_change_set",
        {"Id": CS_ID, "StackId": STACK_ID},
        {
            k: ANY
            for k in (
                "StackName",
                "ChangeSetName",
                "ChangeSetType",
                "Parameters",
                "Tags",
                "Capabilities",
                "TemplateBody",
            )
        },
    )
    desc = {
        "ChangeSetId": CS_ID,
        "StackName": "metaflow",
        "Status": "CREATE_COMPLETE",
        "ExecutionStatus": "AVAILABLE",
        "Changes": [
            _replacement_change(),
            {
                "Type": "Resource",
                "ResourceChange": {"Action": "Add", "LogicalResourceId": "Queue", "ResourceType": "AWS::SQS::Queue"},
            },
        ],
    }
    stub.add_response("describe_change_set", desc, {"ChangeSetName": CS_ID})
    p = plan.create_plan(aws, plan.PlanRequest("metaflow", body(small_template()), {}, {}), sleep=lambda _s: None)
    assert [c.kind for c in p.changes] == ["replace", "add"]
    with pytest.raises(GuardError) as err:
        guard.enforce(p, allow_data_loss=False)
    assert (
        "RDSMasterInstance (database) would be replaced because StorageEncrypted cannot change in place"
        in err.value.message
    )
    assert err.value.exit_code == 3
    assert [f.logical_id for f in guard.enforce(p, allow_data_loss=True)] == ["RDSMasterInstance"]


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        ("UPDATE_ROLLBACK_FAILED", "continue-update-rollback"),
        ("ROLLBACK_COMPLETE", "mfstack destroy"),
        ("UPDATE_IN_PROGRESS", "mfstack status"),
    ],
)
def test_stuck_or_busy_stack_is_refused_with_what_to_do(
    stubbed: tuple[AwsContext, Stubber], status: str, advice: str
) -> None:
    aws, stub = stubbed
    stub.add_response("describe_stacks", _stack(status), {"StackName": "metaflow"})
    with pytest.raises(AwsError) as err:
        plan.create_plan(aws, plan.PlanRequest("metaflow", body(small_template()), {}, {}))
    assert status in err.value.message and advice in str(err.value)


def test_expired_token_is_one_clear_error(stubbed: tuple[AwsContext, Stubber]) -> None:
    aws, stub = stubbed
    stub.add_client_error(
        "describe_stacks", "ExpiredToken", "The security token included in the request is expired", 403
    )
    with pytest.raises(AwsError, match="credentials have expired"):
        plan.create_plan(aws, plan.PlanRequest("metaflow", body(small_template()), {}, {}))
