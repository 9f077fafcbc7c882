"""Access: what a Metaflow user may do, and the optional restricted user role (CustomRole).

`user_statements()` is the single definition of a Metaflow user's permissions: read and write
this stack's datastore, submit and watch Batch jobs on its queue, deploy and run Step Functions
state machines, read the API key. The SageMaker notebook's role and the user role share it.
After deploy, `mfstack role grant` edits the user role's trust policy to name who may assume it.
"""

from __future__ import annotations

from typing import Any

from awacs.aws import Allow, Principal, Statement
from troposphere import If, NoValue, Ref, Sub, Template, iam

from mfstack.stack.common import AUTH, ROLE, actions, allow, arn, policy
from mfstack.stack.compute import EXECUTION_ROLE, JOB_ROLE
from mfstack.stack.orchestration import EVENTS_ROLE, SFN_ROLE, state_machines, table_arn
from mfstack.stack.storage import bucket_arn, objects_arn

USER_ROLE = "MetaflowUserRole"


def _role_arn(name: str) -> Sub:
    return Sub("${" + name + ".Arn}")


def user_statements() -> list[Any]:
    """The permissions a Metaflow user needs on this stack, and nothing more."""
    return [
        allow("DatastoreObjects", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [objects_arn()]),
        allow("DatastoreListing", ["s3:ListBucket", "s3:GetBucketLocation"], [bucket_arn()]),
        *_batch_statements(),
        *_orchestration_statements(),
        allow("StackOutputs", ["cloudformation:DescribeStacks"], [Ref("AWS::StackId")]),
        If(
            AUTH,
            allow(
                "ReadApiKey",
                ["apigateway:GET"],
                [Sub("arn:${IAMPartition}:apigateway:${AWS::Region}::/apikeys/${ApiKey}")],
            ),
            NoValue,
        ),
    ]


def _batch_statements() -> list[Any]:
    """Submit, watch and stop Batch jobs on this stack's queue; pass its task roles."""
    return [
        allow(
            "SubmitBatchJobs",
            ["batch:SubmitJob", "batch:RegisterJobDefinition", "batch:TagResource"],
            [Ref("JobQueue"), arn("batch", "job-definition/*"), arn("batch", "job/*")],
        ),
        allow("ManageBatchJobs", ["batch:TerminateJob", "batch:CancelJob"], [arn("batch", "job/*")]),
        allow(
            "DescribeBatch",
            [
                "batch:DescribeJobs",
                "batch:DescribeJobDefinitions",
                "batch:DescribeJobQueues",
                "batch:DescribeComputeEnvironments",
                "batch:ListJobs",
            ],
            ["*"],
        ),
        allow("TaskLogs", ["logs:GetLogEvents"], [arn("logs", "log-group:/aws/batch/job:log-stream:*")]),
        allow(
            "PassStackRoles",
            ["iam:PassRole"],
            [_role_arn(JOB_ROLE), _role_arn(EXECUTION_ROLE), _role_arn(SFN_ROLE), _role_arn(EVENTS_ROLE)],
        ),
    ]


def _orchestration_statements() -> list[Any]:
    """Deploy, run and schedule Step Functions state machines; their foreach state."""
    return [
        allow(
            "DeployStateMachines",
            [
                "states:CreateStateMachine",
                "states:UpdateStateMachine",
                "states:DeleteStateMachine",
                "states:DescribeStateMachine",
                "states:StartExecution",
                "states:StopExecution",
                "states:DescribeExecution",
                "states:ListExecutions",
                "states:TagResource",
            ],
            state_machines(),
        ),
        allow("ListStateMachines", ["states:ListStateMachines"], ["*"]),
        allow(
            "ScheduleStateMachines",
            [
                "events:PutRule",
                "events:PutTargets",
                "events:DescribeRule",
                "events:DeleteRule",
                "events:RemoveTargets",
                "events:DisableRule",
            ],
            [arn("events", "rule/*")],
        ),
        allow("ForeachState", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [table_arn()]),
    ]


def _user_role() -> iam.Role:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            Statement(
                Effect=Allow,
                Principal=Principal("AWS", [Sub("arn:${IAMPartition}:iam::${AWS::AccountId}:root")]),
                Action=actions("sts:AssumeRole"),
            )
        ],
    }
    return iam.Role(
        USER_ROLE,
        Condition=ROLE,
        Description="Restricted role for Metaflow users of this stack",
        AssumeRolePolicyDocument=trust,
        MaxSessionDuration=43200,
    )


def _user_policy() -> iam.ManagedPolicy:
    return iam.ManagedPolicy(
        "MetaflowUserPolicy",
        Condition=ROLE,
        Description="What a Metaflow user needs on this stack",
        PolicyDocument=policy(*user_statements()),
        Roles=[Ref(USER_ROLE)],
    )


def add(template: Template) -> None:
    """Add the optional user role and its managed policy."""
    template.add_resource(_user_role())
    template.add_resource(_user_policy())
