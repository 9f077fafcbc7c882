"""The guard and the root-cause diagnosis on plans and event lists as AWS returns them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from mfstack.deploy.diagnose import root_cause
from mfstack.deploy.events import StackEvent
from mfstack.deploy.guard import data_loss_findings, enforce
from mfstack.deploy.plan import Plan, ResourceChange
from mfstack.errors import GuardError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
STACK = "AWS::CloudFormation::Stack"


def _ev(n: int, lid: str, rtype: str, status: str, reason: str = "") -> StackEvent:
    return StackEvent(f"e{n}", T0 + timedelta(seconds=n), lid, rtype, status, reason)


def test_guard_flags_removal_and_conditional_replacement_but_not_safe_changes() -> None:
    plan = Plan(
        "metaflow",
        "cs",
        "UPDATE",
        (
            ResourceChange("MetaflowS3Bucket", "AWS::S3::Bucket", "Remove"),
            ResourceChange("StepFunctionsStateDDB", "AWS::DynamoDB::Table", "Modify", "Conditional", ("KeySchema",)),
            ResourceChange("MyRDSSecret", "AWS::SecretsManager::Secret", "Modify", "False"),
            ResourceChange("JobQueue", "AWS::Batch::JobQueue", "Modify", "True", ("JobQueueName",)),
        ),
    )
    findings = data_loss_findings(plan)
    assert [(f.logical_id, f.kind) for f in findings] == [
        ("MetaflowS3Bucket", "remove"),
        ("StepFunctionsStateDDB", "maybe-replace"),
    ]
    with pytest.raises(GuardError) as err:
        enforce(plan, allow_data_loss=False)
    assert "MetaflowS3Bucket (S3 bucket) would be deleted" in err.value.message
    assert (
        "StepFunctionsStateDDB (DynamoDB table) may be replaced because KeySchema cannot change in place"
        in err.value.message
    )


def test_guard_refuses_replacing_the_notebook_whose_disk_holds_user_files() -> None:
    plan = Plan(
        "metaflow",
        "cs",
        "UPDATE",
        (
            ResourceChange(
                "SageMakerNotebookInstance", "AWS::SageMaker::NotebookInstance", "Modify", "True", ("SubnetId",)
            ),
        ),
    )
    with pytest.raises(GuardError) as err:
        enforce(plan, allow_data_loss=False)
    assert "SageMakerNotebookInstance (notebook instance, with the files on its disk) would be replaced" in str(
        err.value
    )
    assert [f.logical_id for f in enforce(plan, allow_data_loss=True)] == ["SageMakerNotebookInstance"]


def test_root_cause_skips_cancellations_even_when_they_come_first() -> None:
    events = [
        _ev(1, "metaflow", STACK, "CREATE_IN_PROGRESS", "User Initiated"),
        _ev(2, "NLB", "AWS::ElasticLoadBalancingV2::LoadBalancer", "CREATE_FAILED", "Resource creation cancelled"),
        _ev(3, "RDSMasterInstance", "AWS::RDS::DBInstance", "CREATE_FAILED", "DBInstanceClass db.x is not available"),
        _ev(
            4,
            "metaflow",
            STACK,
            "ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to create: [NLB, RDSMasterInstance].",
        ),
        _ev(5, "metaflow", STACK, "ROLLBACK_COMPLETE"),
    ]
    cause = root_cause(list(reversed(events)))
    assert cause is not None and cause.logical_id == "RDSMasterInstance" and "db.x" in cause.reason
    assert cause.also_failed == ("NLB",)


def test_root_cause_falls_back_to_the_stack_reason_and_none_on_success() -> None:
    only_stack = [
        _ev(1, "metaflow", STACK, "UPDATE_IN_PROGRESS"),
        _ev(2, "metaflow", STACK, "UPDATE_ROLLBACK_IN_PROGRESS", "Parameter validation failed"),
    ]
    cause = root_cause(only_stack)
    assert cause is not None and cause.reason == "Parameter validation failed"
    assert root_cause([_ev(1, "metaflow", STACK, "UPDATE_COMPLETE")]) is None
