"""Create the stack's AWS resources in the emulator, through the same boto3 gateway as the cloud.

Idempotent: the bucket usually comes back from the data dir; the table, roles and queue live in
the emulator's memory and are created on every `up`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions

from mfstack.aws import AwsContext
from mfstack.errors import LocalStackError
from mfstack.local.resources import (
    BATCH_SERVICE_ROLE_ID,
    DUMMY_CREDENTIALS,
    REGION,
    ROLE_PRINCIPALS,
    LocalResources,
)

ALREADY_THERE = frozenset(
    {
        "BucketAlreadyOwnedByYou",
        "BucketAlreadyExists",
        "ResourceInUseException",
        "EntityAlreadyExists",
        "ClientException",
    }
)


@dataclass
class BootstrapResult:
    """What the bootstrap made (or found already there)."""

    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


def emulator_context(endpoint_url: str) -> AwsContext:
    """An AwsContext aimed at the emulator with dummy credentials, whatever the user's AWS setup."""
    aws = AwsContext(region=REGION, endpoint_url=endpoint_url)
    aws._session = boto3.session.Session(
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    return aws


def bootstrap(aws: AwsContext, resources: LocalResources) -> BootstrapResult:
    """Create bucket, DynamoDB table, IAM roles, Batch compute environment and job queue."""
    result = BootstrapResult()
    steps: list[tuple[str, Callable[[], Any]]] = [
        (f"bucket {resources.bucket}", lambda: aws.client("s3").create_bucket(Bucket=resources.bucket)),
        (f"table {resources.table}", lambda: _create_table(aws, resources.table)),
    ]
    for logical_id, principal in ROLE_PRINCIPALS.items():
        steps.append(
            (f"role {resources.role_name(logical_id)}", _role_step(aws, resources.role_name(logical_id), principal))
        )
    steps.append((f"job queue {resources.job_queue}", lambda: _create_queue(aws, resources)))
    for label, step in steps:
        try:
            made = step()
            (result.created if made is not False else result.existing).append(label)
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ALREADY_THERE:
                raise LocalStackError(f"The AWS emulator refused to create the {label}: {exc}.") from exc
            result.existing.append(label)
        except botocore.exceptions.BotoCoreError as exc:
            raise LocalStackError(f"The AWS emulator could not be reached to create the {label}: {exc}.") from exc
    return result


def _create_table(aws: AwsContext, table: str) -> None:
    ddb = aws.client("dynamodb")
    ddb.create_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "pathspec", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pathspec", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"})


def _role_step(aws: AwsContext, name: str, principal: str) -> Callable[[], Any]:
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}],
    }
    return lambda: aws.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Path="/")


def _create_queue(aws: AwsContext, resources: LocalResources) -> bool:
    batch = aws.client("batch")
    if batch.describe_job_queues(jobQueues=[resources.job_queue])["jobQueues"]:
        return False
    batch.create_compute_environment(
        computeEnvironmentName=resources.compute_environment,
        type="UNMANAGED",
        state="ENABLED",
        serviceRole=resources.role_arn(BATCH_SERVICE_ROLE_ID),
    )
    batch.create_job_queue(
        jobQueueName=resources.job_queue,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": resources.compute_environment}],
    )
    return True
