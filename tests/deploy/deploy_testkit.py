"""Small CloudFormation templates moto's CloudFormation can create, and an emulator fix-up.

moto cannot create the full Metaflow template (it skips API keys, usage plans, VPC links and
secrets, and rejects network load balancers), so the deploy engine is exercised on templates made
of resource types it supports, with the real output names of the Metaflow stack. The service URL
and the API key id come in as parameters (an API key created directly through moto's API Gateway),
so `configure` and `doctor` run against them.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from moto.cloudformation import models as cfn_models

BUCKET_OUTPUT = {"Fn::Join": ["", ["s3://", {"Ref": "MetaflowS3Bucket"}, "/metaflow"]]}
DATATOOLS_OUTPUT = {"Fn::Join": ["", ["s3://", {"Ref": "MetaflowS3Bucket"}, "/data"]]}


def _role(service: str) -> dict[str, Any]:
    doc = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }
    return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": doc}}


def batch_resources() -> dict[str, Any]:
    """An AWS Batch compute environment (EC2, 0 vCPUs idle) and job queue in their own VPC."""
    compute = {
        "Type": "EC2",
        "MinvCpus": 0,
        "MaxvCpus": 8,
        "DesiredvCpus": 0,
        "InstanceTypes": ["c5.large"],
        "Subnets": [{"Ref": "Subnet1"}],
        "SecurityGroupIds": [{"Ref": "BatchSecurityGroup"}],
        "InstanceRole": {"Fn::GetAtt": ["ECSInstanceProfile", "Arn"]},
    }
    return {
        "VPC": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.20.0.0/16"}},
        "Subnet1": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "VPC"}, "CidrBlock": "10.20.0.0/24"}},
        "BatchSecurityGroup": {
            "Type": "AWS::EC2::SecurityGroup",
            "Properties": {"GroupDescription": "batch", "VpcId": {"Ref": "VPC"}},
        },
        "BatchServiceRole": _role("batch.amazonaws.com"),
        "ECSInstanceRole": _role("ec2.amazonaws.com"),
        "ECSInstanceProfile": {
            "Type": "AWS::IAM::InstanceProfile",
            "Properties": {"Roles": [{"Ref": "ECSInstanceRole"}]},
        },
        "ComputeEnvironment": {
            "Type": "AWS::Batch::ComputeEnvironment",
            "Properties": {
                "Type": "MANAGED",
                "State": "ENABLED",
                "ServiceRole": {"Fn::GetAtt": ["BatchServiceRole", "Arn"]},
                "ComputeResources": compute,
            },
        },
        "JobQueue": {
            "Type": "AWS::Batch::JobQueue",
            "Properties": {
                "Priority": 1,
                "State": "ENABLED",
                "ComputeEnvironmentOrder": [{"Order": 1, "ComputeEnvironment": {"Ref": "ComputeEnvironment"}}],
            },
        },
    }


def small_template(
    table_name: str = "metaflow-steps", extra: dict[str, Any] | None = None, batch: bool = False
) -> dict[str, Any]:
    """A Metaflow-shaped stack: retained bucket, DynamoDB table, task and user roles, real output names
    (and, with `batch`, a Batch queue and compute environment)."""
    user_role = _role("ec2.amazonaws.com")
    user_role["Properties"]["AssumeRolePolicyDocument"]["Statement"].append(
        {
            "Sid": "Other",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
        }
    )
    resources: dict[str, Any] = {
        "MetaflowS3Bucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"},
        "StepFunctionsStateDDB": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": {"Ref": "TableName"},
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "pathspec", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pathspec", "KeyType": "HASH"}],
            },
        },
        "BatchS3TaskRole": _role("ecs-tasks.amazonaws.com"),
        "MetaflowUserRole": user_role,
        **(batch_resources() if batch else {}),
        **(extra or {}),
    }
    outputs = {
        "MetaflowDataStoreS3Url": BUCKET_OUTPUT,
        "MetaflowDataToolsS3Url": DATATOOLS_OUTPUT,
        "DDBTableName": {"Ref": "StepFunctionsStateDDB"},
        "ECSJobRoleForBatchJobs": {"Fn::GetAtt": ["BatchS3TaskRole", "Arn"]},
        "MetaflowUserRoleArn": {"Fn::GetAtt": ["MetaflowUserRole", "Arn"]},
        "ServiceUrl": {"Ref": "ServiceUrlValue"},
        "ApiKeyId": {"Ref": "ApiKeyIdValue"},
        **({"BatchJobQueueArn": {"Ref": "JobQueue"}} if batch else {}),
    }
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {
            "TableName": {"Type": "String", "Default": table_name},
            "ServiceUrlValue": {"Type": "String", "Default": "http://127.0.0.1:9/api"},
            "ApiKeyIdValue": {"Type": "String", "Default": "none"},
        },
        "Resources": resources,
        "Outputs": {k: {"Value": v, "Description": k} for k, v in outputs.items()},
    }


def body(template: dict[str, Any]) -> str:
    """The template as the JSON text CloudFormation takes."""
    return json.dumps(template, indent=1)


def patch_moto_change_set_outputs() -> Iterator[None]:
    """moto resolves a stack's outputs only in create_stack, not when a change set is executed
    (a known emulator gap; real CloudFormation resolves them). Re-read the executed template and
    its outputs after each change set so the emulator answers like AWS. This patches the emulator,
    not mfstack."""
    backend_cls = cfn_models.CloudFormationBackend
    original = backend_cls.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        original(self, change_set_name, stack_name)
        for change_set in self.change_sets.values():
            if change_set_name in (change_set.change_set_id, change_set.change_set_name):
                stack = self.stacks[change_set.stack_id]
                stack._parse_template()
                stack.output_map = stack._create_output_map()

    backend_cls.execute_change_set = execute_change_set  # type: ignore[method-assign]
    try:
        yield
    finally:
        backend_cls.execute_change_set = original  # type: ignore[method-assign]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_service(tmp: Path, api_key: str | None) -> tuple[subprocess.Popen[bytes], str]:
    """The project's real metadata service (`mfstack service`, SQLite in `tmp`) on a loopback port."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "mfstack",
        "service",
        "--db",
        f"sqlite:///{tmp / 'mds.db'}",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    proc = subprocess.Popen(
        [*cmd, *(["--api-key", api_key] if api_key else [])], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):  # at most ~30 s
        try:
            httpx.get(f"{url}/ping", timeout=1.0)
            return proc, url
        except httpx.HTTPError:
            if proc.poll() is not None:
                break
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError("the metadata service did not start")
