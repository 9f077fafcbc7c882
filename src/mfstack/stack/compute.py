"""Compute: the AWS Batch compute environment (EC2 or Fargate), the job queue, and their roles.

An idle stack runs no instances (MinVCPUBatch and DesiredVCPUBatch default to 0). EC2 hosts
launch from a template that requires IMDSv2 and encrypts the root volume.
"""

from __future__ import annotations

from troposphere import GetAtt, If, NoValue, Ref, Split, Sub, Template, batch, ec2, iam

from mfstack.stack.common import EC2, EXTRA_POLICY, FARGATE, allow, arn, policy, trust
from mfstack.stack.orchestration import table_arn
from mfstack.stack.storage import bucket_arn, objects_arn

JOB_ROLE = "BatchS3TaskRole"
EXECUTION_ROLE = "BatchTaskExecutionRole"


def _security_group() -> ec2.SecurityGroup:
    return ec2.SecurityGroup(
        "BatchSecurityGroup",
        GroupDescription="Metaflow Batch jobs: no inbound traffic, outbound to the internet",
        VpcId=Ref("VPC"),
        SecurityGroupEgress=[
            ec2.SecurityGroupRule(Description="Outbound traffic of Metaflow tasks", IpProtocol="-1", CidrIp="0.0.0.0/0")
        ],
    )


def _service_role() -> iam.Role:
    return iam.Role(
        "BatchServiceRole",
        Description="Role AWS Batch uses to manage the Metaflow compute environment",
        AssumeRolePolicyDocument=trust("batch.amazonaws.com"),
        ManagedPolicyArns=[Sub("arn:${IAMPartition}:iam::aws:policy/service-role/AWSBatchServiceRole")],
    )


def _instance_role() -> iam.Role:
    return iam.Role(
        "ECSInstanceRole",
        Condition=EC2,
        Description="Role of the EC2 hosts of the Metaflow Batch compute environment",
        AssumeRolePolicyDocument=trust("ec2.amazonaws.com"),
        ManagedPolicyArns=[Sub("arn:${IAMPartition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role")],
    )


def _instance_profile() -> iam.InstanceProfile:
    return iam.InstanceProfile("ECSInstanceProfile", Condition=EC2, Roles=[Ref("ECSInstanceRole")])


def _launch_template() -> ec2.LaunchTemplate:
    return ec2.LaunchTemplate(
        "BatchLaunchTemplate",
        Condition=EC2,
        LaunchTemplateData=ec2.LaunchTemplateData(
            MetadataOptions=ec2.MetadataOptions(
                HttpTokens="required", HttpPutResponseHopLimit=2, HttpEndpoint="enabled"
            ),
            BlockDeviceMappings=[
                ec2.LaunchTemplateBlockDeviceMapping(
                    DeviceName="/dev/xvda",
                    Ebs=ec2.EBSBlockDevice(Encrypted=True, VolumeSize=30, VolumeType="gp3", DeleteOnTermination=True),
                )
            ],
        ),
    )


def job_role_statements() -> list[object]:
    """What a Metaflow task needs: this stack's bucket and foreach table, and its own logs."""
    return [
        allow("DatastoreObjects", ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], [objects_arn()]),
        allow("DatastoreListing", ["s3:ListBucket", "s3:GetBucketLocation"], [bucket_arn()]),
        allow("ForeachState", ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"], [table_arn()]),
        allow("TaskLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [arn("logs", "log-group:/aws/batch/job:*")]),
    ]


def _job_role() -> iam.Role:
    return iam.Role(
        JOB_ROLE,
        Description="Role of Metaflow tasks on AWS Batch (METAFLOW_ECS_S3_ACCESS_IAM_ROLE)",
        AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"),
        Policies=[iam.Policy(PolicyName="metaflow-task", PolicyDocument=policy(*job_role_statements()))],  # type: ignore[arg-type]
        ManagedPolicyArns=If(EXTRA_POLICY, [Ref("AdditionalWorkerPolicyArn")], NoValue),
    )


def on_ec2(value: object) -> If:
    """A property that exists on EC2 compute environments only."""
    return If(FARGATE, NoValue, value)


def _execution_role() -> iam.Role:
    doc = policy(
        allow("TaskLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [arn("logs", "log-group:/aws/batch/job:*")]),
        allow("RegistryLogin", ["ecr:GetAuthorizationToken"], ["*"]),
        allow(
            "PrivateImages",
            ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            [arn("ecr", "repository/*")],
        ),
    )
    return iam.Role(
        EXECUTION_ROLE,
        Description="Role ECS uses to start Metaflow tasks on Fargate (METAFLOW_ECS_FARGATE_EXECUTION_ROLE)",
        AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"),
        Policies=[iam.Policy(PolicyName="metaflow-task-start", PolicyDocument=doc)],
    )


def _compute_environment() -> batch.ComputeEnvironment:
    resources = batch.ComputeResources(
        Type=If(FARGATE, "FARGATE", "EC2"),
        MaxvCpus=Ref("MaxVCPUBatch"),
        MinvCpus=on_ec2(Ref("MinVCPUBatch")),
        DesiredvCpus=on_ec2(Ref("DesiredVCPUBatch")),
        AllocationStrategy=on_ec2("BEST_FIT_PROGRESSIVE"),
        InstanceTypes=on_ec2(Split(",", Ref("ComputeEnvInstanceTypes"))),
        InstanceRole=on_ec2(GetAtt("ECSInstanceProfile", "Arn")),
        LaunchTemplate=on_ec2(
            batch.LaunchTemplateSpecification(
                LaunchTemplateId=Ref("BatchLaunchTemplate"),
                Version=GetAtt("BatchLaunchTemplate", "LatestVersionNumber"),
            )
        ),
        Ec2Configuration=on_ec2([batch.Ec2ConfigurationObject(ImageType="ECS_AL2023")]),
        Subnets=[Ref("Subnet1"), Ref("Subnet2")],
        SecurityGroupIds=[Ref("BatchSecurityGroup")],
    )
    return batch.ComputeEnvironment(
        "ComputeEnvironment",
        Type="MANAGED",
        State="ENABLED",
        ServiceRole=GetAtt("BatchServiceRole", "Arn"),
        ComputeResources=resources,
    )


def _job_queue() -> batch.JobQueue:
    return batch.JobQueue(
        "JobQueue",
        JobQueueName=Sub("job-queue-${AWS::StackName}"),
        Priority=1,
        State="ENABLED",
        ComputeEnvironmentOrder=[batch.ComputeEnvironmentOrder(ComputeEnvironment=Ref("ComputeEnvironment"), Order=1)],
    )


def add(template: Template) -> None:
    """Add the Batch compute environment, job queue, their roles and security group."""
    for resource in (
        _security_group(),
        _service_role(),
        _instance_role(),
        _instance_profile(),
        _launch_template(),
        _job_role(),
        _execution_role(),
        _compute_environment(),
        _job_queue(),
    ):
        template.add_resource(resource)
