"""Create the stack's AWS resources in the emulator, through the same boto3 gateway as the cloud.

Idempotent: the bucket usually comes back from the data dir; the table, roles and queue live in
the emulator's memory and are created on every `up`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.exceptions
import botocore.session

from mfstack.aws import AwsContext
from mfstack.errors import LocalStackError
from mfstack.local.resources import (
    BATCH_SERVICE_ROLE_ID,
    DUMMY_CREDENTIALS,
    INSTANCE_ROLE_ID,
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


VPC_CIDR = "10.20.0.0/16"  # the cloud stack's defaults (VPCCidr, Subnet1Cidr)
SUBNET_CIDR = "10.20.0.0/24"


@dataclass
class BootstrapResult:
    """What the bootstrap made (or found already there)."""

    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


def emulator_context(endpoint_url: str) -> AwsContext:
    """An AwsContext aimed at the emulator with dummy credentials, whatever the user's AWS setup."""
    aws = AwsContext(region=REGION, endpoint_url=endpoint_url)
    # Never the user's AWS_PROFILE: the profile setting is not read from the environment at all.
    core = botocore.session.Session(session_vars={"profile": (None, None, None, None)})
    aws._session = boto3.session.Session(
        aws_access_key_id=DUMMY_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=DUMMY_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
        botocore_session=core,
    )
    return aws


CLIENTS: tuple[str, ...] = ("s3", "dynamodb", "iam")

Step = tuple[str, Callable[[], Any]]


def prepare_clients(aws: AwsContext, services: tuple[str, ...] = CLIENTS) -> None:
    """Create the clients the bootstrap uses (botocore loads their models: worth doing early)."""
    for service in services:
        aws.client(service)


def bootstrap(aws: AwsContext, resources: LocalResources) -> BootstrapResult:
    """Create the bucket, the DynamoDB table and the IAM roles, in three parallel chains.

    The Batch queue is made by `bootstrap_batch`, which the emulator runs itself after it starts:
    emulating Batch means loading moto's whole EC2 model, which takes seconds.
    """
    prepare_clients(aws)
    chains: list[list[Step]] = [
        [(f"bucket {resources.bucket}", lambda: aws.client("s3").create_bucket(Bucket=resources.bucket))],
        [(f"table {resources.table}", lambda: _create_table(aws, resources.table))],
        _role_steps(aws, resources, ROLE_PRINCIPALS),
    ]
    return _run_chains(chains)


def bootstrap_batch(aws: AwsContext, resources: LocalResources) -> BootstrapResult:
    """Create the Batch compute environment and job queue (and the service role they name)."""
    prepare_clients(aws, ("iam", "ec2", "batch"))
    service_role = {BATCH_SERVICE_ROLE_ID: ROLE_PRINCIPALS[BATCH_SERVICE_ROLE_ID]}
    chain = [
        *_role_steps(aws, resources, service_role),
        (f"job queue {resources.job_queue}", lambda: _create_queue(aws, resources)),
    ]
    return _run_chains([chain])


def _role_steps(aws: AwsContext, resources: LocalResources, roles: dict[str, str]) -> list[Step]:
    return [
        (f"role {resources.role_name(logical_id)}", _role_step(aws, resources.role_name(logical_id), principal))
        for logical_id, principal in roles.items()
    ]


def _run_chains(chains: list[list[Step]]) -> BootstrapResult:
    result = BootstrapResult()
    with ThreadPoolExecutor(max_workers=len(chains)) as pool:
        for outcome in pool.map(_run_chain, chains):
            for label, made in outcome:
                (result.created if made else result.existing).append(label)
    return result


def _run_chain(chain: list[Step]) -> list[tuple[str, bool]]:
    done: list[tuple[str, bool]] = []
    for label, step in chain:
        try:
            done.append((label, step() is not False))
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") not in ALREADY_THERE:
                raise LocalStackError(f"The AWS emulator refused to create the {label}: {exc}.") from exc
            done.append((label, False))
        except botocore.exceptions.BotoCoreError as exc:
            raise LocalStackError(f"The AWS emulator could not be reached to create the {label}: {exc}.") from exc
    return done


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
    trust = json.dumps(_trust(principal))
    return lambda: aws.client("iam").create_role(RoleName=name, AssumeRolePolicyDocument=trust, Path="/")


def _trust(principal: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}],
    }


def _create_queue(aws: AwsContext, resources: LocalResources) -> bool:
    """An EC2 compute environment (min 0 vCPUs, as in the cloud) in its own VPC, and the queue."""
    batch = aws.client("batch")
    if batch.describe_job_queues(jobQueues=[resources.job_queue])["jobQueues"]:
        return False
    if not batch.describe_compute_environments(computeEnvironments=[resources.compute_environment])[
        "computeEnvironments"
    ]:
        subnet, group = _network(aws)
        batch.create_compute_environment(
            computeEnvironmentName=resources.compute_environment,
            type="MANAGED",
            state="ENABLED",
            computeResources={
                "type": "EC2",
                "minvCpus": 0,
                "desiredvCpus": 0,
                "maxvCpus": 64,
                "instanceTypes": ["optimal"],
                "instanceRole": _instance_profile(aws, resources),
                "subnets": [subnet],
                "securityGroupIds": [group],
            },
            serviceRole=resources.role_arn(BATCH_SERVICE_ROLE_ID),
        )
    batch.create_job_queue(
        jobQueueName=resources.job_queue,
        state="ENABLED",
        priority=1,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": resources.compute_environment}],
    )
    return True


def _instance_profile(aws: AwsContext, resources: LocalResources) -> str:
    iam = aws.client("iam")
    name = resources.role_name(INSTANCE_ROLE_ID)
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(_trust("ec2.amazonaws.com")), Path="/")
    profile = iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Arn"]
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    return str(profile)


def _network(aws: AwsContext) -> tuple[str, str]:
    """A VPC with one subnet and a security group, as the cloud stack's network provides."""
    ec2 = aws.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=VPC_CIDR)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=SUBNET_CIDR)["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="metaflow-batch", Description="Metaflow tasks", VpcId=vpc)["GroupId"]
    return str(subnet), str(group)
