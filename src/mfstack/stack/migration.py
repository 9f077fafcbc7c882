"""Schema migration that runs by itself: a custom resource backed by a small Lambda in the VPC.

The function (source: `migration_lambda.py`, inlined) calls the service's migration port through
the internal NLB, and answers CloudFormation through the S3 gateway endpoint (no NAT needed).
The resource's properties include the service image, so every image change migrates again.
"""

from __future__ import annotations

import inspect
from typing import ClassVar

from troposphere import AWSObject, GetAtt, Ref, Template, awslambda, ec2, iam

from mfstack.stack import migration_lambda
from mfstack.stack.common import MIGRATION_PORT, allow, arn, checkov_skip, policy, trust
from mfstack.stack.metadata import log_group, migration_url
from mfstack.stack.network import vpc_cidr

FUNCTION = "MigrationFunction"
RUNTIME = "python3.13"
TIMEOUT_SECONDS = 600
ZIPFILE_LIMIT = 4096


class SchemaMigration(AWSObject):  # type: ignore[misc]
    """The custom resource that triggers the migration."""

    resource_type = "Custom::SchemaMigration"
    props: ClassVar[dict[str, tuple[type, bool]]] = {
        "ServiceToken": (str, True),
        "MigrationUrl": (str, True),
        "ServiceImage": (str, True),
    }


def function_source() -> str:
    """The handler's source as inlined into the template."""
    source = inspect.getsource(migration_lambda)
    if len(source) > ZIPFILE_LIMIT:
        raise ValueError(f"migration handler is {len(source)} characters; inline code is limited to {ZIPFILE_LIMIT}")
    return source


def _security_group() -> ec2.SecurityGroup:
    return ec2.SecurityGroup(
        "MigrationFunctionSecurityGroup",
        GroupDescription="Schema migration function: migration port in the VPC and S3 over HTTPS only",
        VpcId=Ref("VPC"),
        SecurityGroupEgress=[
            ec2.SecurityGroupRule(
                Description="Migration port of the metadata service (NLB)",
                IpProtocol="tcp",
                FromPort=MIGRATION_PORT,
                ToPort=MIGRATION_PORT,
                CidrIp=vpc_cidr(),
            ),
            ec2.SecurityGroupRule(
                Description="CloudFormation response URL in S3 (through the gateway endpoint; no internet route)",
                IpProtocol="tcp",
                FromPort=443,
                ToPort=443,
                CidrIp="0.0.0.0/0",
            ),
        ],
    )


def _role() -> iam.Role:
    doc = policy(
        allow("FunctionLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [GetAtt("MigrationLogGroup", "Arn")]),
        allow("DescribeNetworkInterfaces", ["ec2:DescribeNetworkInterfaces"], ["*"]),
        allow(
            "VpcNetworkInterfaces",
            [
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
            ],
            [
                arn("ec2", "network-interface/*"),
                arn("ec2", "subnet/${Subnet1}"),
                arn("ec2", "subnet/${Subnet2}"),
                arn("ec2", "security-group/${MigrationFunctionSecurityGroup}"),
            ],
        ),
    )
    return iam.Role(
        "MigrationFunctionRole",
        Description="Role of the schema migration function: its logs and its network interfaces",
        AssumeRolePolicyDocument=trust("lambda.amazonaws.com"),
        Policies=[iam.Policy(PolicyName="schema-migration", PolicyDocument=doc)],
    )


def _function() -> awslambda.Function:
    return awslambda.Function(
        FUNCTION,
        Description="Brings the Metaflow metadata database schema up to date",
        Runtime=RUNTIME,
        Handler="index.handler",
        Code=awslambda.Code(ZipFile=function_source()),
        Role=GetAtt("MigrationFunctionRole", "Arn"),
        Timeout=TIMEOUT_SECONDS,
        MemorySize=128,
        LoggingConfig=awslambda.LoggingConfig(LogGroup=Ref("MigrationLogGroup")),
        VpcConfig=awslambda.VPCConfig(
            SubnetIds=[Ref("Subnet1"), Ref("Subnet2")], SecurityGroupIds=[Ref("MigrationFunctionSecurityGroup")]
        ),
        Metadata=checkov_skip(
            (
                "CKV_AWS_116",
                "Invoked synchronously by CloudFormation, which records failures; a DLQ would hold nothing",
            ),
            (
                "CKV_AWS_115",
                "Reserving concurrency fails in new accounts (limit 10); CloudFormation calls it once per stack change",
            ),
        ),
    )


def _custom_resource() -> SchemaMigration:
    return SchemaMigration(
        "SchemaMigration",
        DependsOn=[
            "ECSFargateService",
            "S3GatewayEndpoint",
            "Subnet1RTA",
            "Subnet2RTA",
        ],
        ServiceToken=GetAtt(FUNCTION, "Arn"),
        MigrationUrl=migration_url(),
        ServiceImage=Ref("MetadataServiceImage"),
    )


def add(template: Template) -> None:
    """Add the migration function, its role, network rules, log group and the custom resource."""
    for resource in (log_group("MigrationLogGroup"), _security_group(), _role(), _function(), _custom_resource()):
        template.add_resource(resource)
