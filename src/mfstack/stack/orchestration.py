"""Orchestration: the roles Step Functions and EventBridge use, and the foreach state table.

Metaflow creates the state machines itself (`step-functions create`); the stack gives it a role
for them (`METAFLOW_SFN_IAM_ROLE`), a role EventBridge schedules use to start them
(`METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE`), and the DynamoDB table foreach joins use.
"""

from __future__ import annotations

from troposphere import GetAtt, Ref, Template, dynamodb, iam

from mfstack.stack.common import allow, arn, checkov_skip, policy, trust
from mfstack.stack.storage import bucket_arn, objects_arn

TABLE = "StepFunctionsStateDDB"
SFN_ROLE = "StepFunctionsRole"
EVENTS_ROLE = "EventBridgeRole"


def table_arn() -> GetAtt:
    """ARN of the foreach state table."""
    return GetAtt(TABLE, "Arn")


def state_machines() -> list[object]:
    """ARNs of this account's state machines, their executions and map runs in this region."""
    return [
        arn("states", "stateMachine:*"),
        arn("states", "execution:*:*"),
        arn("states", "express:*:*:*"),
        arn("states", "mapRun:*/*:*"),
    ]


def _table() -> dynamodb.Table:
    return dynamodb.Table(
        TABLE,
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[dynamodb.AttributeDefinition(AttributeName="pathspec", AttributeType="S")],
        KeySchema=[dynamodb.KeySchema(AttributeName="pathspec", KeyType="HASH")],
        TimeToLiveSpecification=dynamodb.TimeToLiveSpecification(AttributeName="ttl", Enabled=True),
        PointInTimeRecoverySpecification=dynamodb.PointInTimeRecoverySpecification(PointInTimeRecoveryEnabled=True),
        SSESpecification=dynamodb.SSESpecification(SSEEnabled=True),
        Metadata=checkov_skip(
            ("CKV_AWS_119", "Encrypted with the AWS managed key; the table holds short-lived foreach state (TTL)"),
        ),
    )


def _sfn_role() -> iam.Role:
    doc = policy(
        allow(
            "RunBatchJobs",
            ["batch:SubmitJob", "batch:TagResource"],
            [Ref("JobQueue"), arn("batch", "job-definition/*"), arn("batch", "job/*")],
        ),
        allow("WatchBatchJobs", ["batch:DescribeJobs"], ["*"]),
        allow("StopBatchJobs", ["batch:TerminateJob"], [arn("batch", "job/*")]),
        allow(
            "BatchSyncRule",
            ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            [arn("events", "rule/StepFunctionsGetEventsForBatchJobsRule")],
        ),
        allow("ForeachState", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [table_arn()]),
        allow("DistributedMapInputs", ["s3:GetObject", "s3:PutObject"], [objects_arn()]),
        allow("DistributedMapListing", ["s3:ListBucket"], [bucket_arn()]),
        allow(
            "DistributedMapRuns",
            ["states:StartExecution", "states:DescribeExecution", "states:StopExecution"],
            state_machines(),
        ),
    )
    return iam.Role(
        SFN_ROLE,
        Description="Role of the Step Functions state machines Metaflow deploys",
        AssumeRolePolicyDocument=trust("states.amazonaws.com"),
        Policies=[iam.Policy(PolicyName="metaflow-step-functions", PolicyDocument=doc)],
    )


def _events_role() -> iam.Role:
    doc = policy(allow("StartStateMachines", ["states:StartExecution"], [arn("states", "stateMachine:*")]))
    return iam.Role(
        EVENTS_ROLE,
        Description="Role EventBridge schedules use to start Metaflow state machines",
        AssumeRolePolicyDocument=trust("events.amazonaws.com"),
        Policies=[iam.Policy(PolicyName="metaflow-start-state-machines", PolicyDocument=doc)],
    )


def add(template: Template) -> None:
    """Add the foreach state table and the Step Functions and EventBridge roles."""
    template.add_resource(_table())
    template.add_resource(_sfn_role())
    template.add_resource(_events_role())
