"""Metadata service: RDS PostgreSQL, its generated secret, and the Fargate service behind an internal NLB.

The database is encrypted, private, backed up, and snapshotted before it is deleted or replaced.
Its password never leaves Secrets Manager except into the task as an ECS secret. Logical ids
of the stateful resources are those of the reference template, so old stacks update in place.
"""

from __future__ import annotations

from troposphere import GetAtt, NoValue, Ref, Sub, Template, ec2, ecs, iam, logs, rds, secretsmanager
from troposphere import elasticloadbalancingv2 as elbv2

from mfstack.stack.common import API_PORT, MIGRATION_PORT, allow, arn, checkov_skip, policy, trust
from mfstack.stack.network import vpc_cidr

# PostgreSQL 16, the major version of stacks made from the reference template (16.1): they update
# in place with a minor upgrade, where a new major version would need a manual upgrade first.
DB_ENGINE_VERSION = "16.10"
DB_PARAMETER_FAMILY = "postgres16"
DB_USER = "master"
DB_NAME = "metaflow"
DB_PORT = 5432
DB_SSL_MODE = "require"
SECRET = "MyRDSSecret"
DATABASE = "RDSMasterInstance"
CONTAINER = "metadata-service"
SERVICE_LOG_GROUP = "MetadataServiceLogGroup"

KEEP = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
LOG_KMS_REASON = (
    "CloudWatch Logs encrypts at rest with AWS-owned keys; a customer key adds cost and a key policy to manage"
)


def log_group(name: str) -> logs.LogGroup:
    """A log group kept on delete, with the stack's retention setting."""
    return logs.LogGroup(
        name, RetentionInDays=Ref("LogRetentionDays"), Metadata=checkov_skip(("CKV_AWS_158", LOG_KMS_REASON)), **KEEP
    )


def _rule(description: str, port: int, **source: object) -> ec2.SecurityGroupRule:
    return ec2.SecurityGroupRule(Description=description, IpProtocol="tcp", FromPort=port, ToPort=port, **source)


def _security_groups() -> list[ec2.SecurityGroup]:
    service = ec2.SecurityGroup(
        "ServiceSecurityGroup",
        GroupDescription="Metaflow metadata service: API and migration ports from inside the VPC only",
        VpcId=Ref("VPC"),
        SecurityGroupIngress=[
            _rule("Metadata API from the VPC (NLB)", API_PORT, CidrIp=vpc_cidr()),
            _rule("Schema migration from the VPC (NLB)", MIGRATION_PORT, CidrIp=vpc_cidr()),
        ],
        SecurityGroupEgress=[
            _rule("Pull the service image over HTTPS", 443, CidrIp="0.0.0.0/0"),
            _rule("PostgreSQL inside the VPC", DB_PORT, CidrIp=vpc_cidr()),
        ],
    )
    database = ec2.SecurityGroup(
        "DatabaseSecurityGroup",
        GroupDescription="Metaflow metadata database: PostgreSQL from the metadata service only",
        VpcId=Ref("VPC"),
        SecurityGroupIngress=[
            _rule("PostgreSQL from the metadata service", DB_PORT, SourceSecurityGroupId=Ref(service))
        ],
        SecurityGroupEgress=[
            ec2.SecurityGroupRule(Description="No outbound traffic", IpProtocol="-1", CidrIp="127.0.0.1/32")
        ],
    )
    return [service, database]


def _secret() -> secretsmanager.Secret:
    return secretsmanager.Secret(
        SECRET,
        Description=Sub("Password of the Metaflow metadata database of stack ${AWS::StackName}"),
        GenerateSecretString=secretsmanager.GenerateSecretString(
            SecretStringTemplate=f'{{"username": "{DB_USER}"}}',
            GenerateStringKey="password",
            # As in the reference template: changing GenerateSecretString replaces the secret (and
            # the password) of stacks made from it.
            PasswordLength=16,
            ExcludeCharacters='"@/\\',
        ),
        Metadata=checkov_skip(
            ("CKV_AWS_149", "Encrypted with the AWS managed key of Secrets Manager; a customer key adds cost"),
        ),
        **KEEP,
    )


def _database() -> list[object]:
    subnets = rds.DBSubnetGroup(
        "DBSubnetGroup",
        DBSubnetGroupDescription="Subnets of the Metaflow metadata database",
        SubnetIds=[Ref("Subnet1"), Ref("Subnet2")],
    )
    params = rds.DBParameterGroup(
        "DBParameterGroup",
        Description="Metaflow metadata database: TLS required",
        Family=DB_PARAMETER_FAMILY,
        Parameters={"rds.force_ssl": "1"},
    )
    return [subnets, params, _db_instance()]


def _db_instance() -> rds.DBInstance:
    resolve = "{{resolve:secretsmanager:${%s}:SecretString:%s}}"
    return rds.DBInstance(
        DATABASE,
        DeletionPolicy="Snapshot",
        UpdateReplacePolicy="Snapshot",
        Engine="postgres",
        EngineVersion=DB_ENGINE_VERSION,
        DBInstanceClass=Ref("DatabaseInstanceClass"),
        AllocatedStorage="20",
        MaxAllocatedStorage=100,
        StorageType="gp3",
        StorageEncrypted=True,
        PubliclyAccessible=False,
        MultiAZ=False,
        DBName=DB_NAME,
        Port=str(DB_PORT),
        MasterUsername=Sub(resolve % (SECRET, "username")),
        MasterUserPassword=Sub(resolve % (SECRET, "password")),
        DBSubnetGroupName=Ref("DBSubnetGroup"),
        DBParameterGroupName=Ref("DBParameterGroup"),
        VPCSecurityGroups=[Ref("DatabaseSecurityGroup")],
        BackupRetentionPeriod=7,
        CopyTagsToSnapshot=True,
        AutoMinorVersionUpgrade=True,
        CACertificateIdentifier="rds-ca-rsa2048-g1",
        Metadata=checkov_skip(
            ("CKV_AWS_157", "Single-AZ keeps idle cost down; automated backups and the final snapshot keep the data"),
            ("CKV_AWS_161", "The service authenticates with the generated password from Secrets Manager"),
            ("CKV_AWS_118", "Enhanced monitoring bills per instance; CloudWatch basic metrics are enough here"),
        ),
    )


def _execution_role() -> iam.Role:
    doc = policy(
        allow("ServiceLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [GetAtt(SERVICE_LOG_GROUP, "Arn")]),
        allow("DatabasePassword", ["secretsmanager:GetSecretValue"], [Ref(SECRET)]),
        allow("RegistryLogin", ["ecr:GetAuthorizationToken"], ["*"]),
        allow(
            "PrivateImages",
            ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
            [arn("ecr", "repository/*")],
        ),
    )
    return iam.Role(
        "ECSTaskExecutionRole",
        Description="Role ECS uses to start the metadata service: image pull, logs, database secret",
        AssumeRolePolicyDocument=trust("ecs-tasks.amazonaws.com"),
        Policies=[iam.Policy(PolicyName="metadata-service-start", PolicyDocument=doc)],
    )


def _container() -> ecs.ContainerDefinition:
    env = {
        "MF_METADATA_DB_HOST": GetAtt(DATABASE, "Endpoint.Address"),
        "MF_METADATA_DB_PORT": GetAtt(DATABASE, "Endpoint.Port"),
        "MF_METADATA_DB_USER": DB_USER,
        "MF_METADATA_DB_NAME": DB_NAME,
        "MF_METADATA_DB_SSL_MODE": DB_SSL_MODE,
    }
    return ecs.ContainerDefinition(
        Name=CONTAINER,
        Image=Ref("MetadataServiceImage"),
        Essential=True,
        PortMappings=[ecs.PortMapping(ContainerPort=API_PORT), ecs.PortMapping(ContainerPort=MIGRATION_PORT)],
        Environment=[ecs.Environment(Name=k, Value=v) for k, v in env.items()],
        Secrets=[ecs.Secret(Name="MF_METADATA_DB_PSWD", ValueFrom=Sub("${" + SECRET + "}:password::"))],
        LogConfiguration=ecs.LogConfiguration(
            LogDriver="awslogs",
            Options={
                "awslogs-group": Ref(SERVICE_LOG_GROUP),
                "awslogs-region": Ref("AWS::Region"),
                "awslogs-stream-prefix": "metadata",
            },
        ),
    )


def _task_definition() -> ecs.TaskDefinition:
    return ecs.TaskDefinition(
        "TaskDefinition",
        Family=Sub("${AWS::StackName}-metadata-service"),
        Cpu="512",
        Memory="1024",
        NetworkMode="awsvpc",
        RequiresCompatibilities=["FARGATE"],
        ExecutionRoleArn=GetAtt("ECSTaskExecutionRole", "Arn"),
        ContainerDefinitions=[_container()],
    )


def _load_balancer() -> list[object]:
    nlb = elbv2.LoadBalancer(
        "NLB",
        Type="network",
        Scheme="internal",
        Subnets=[Ref("Subnet1"), Ref("Subnet2")],
        LoadBalancerAttributes=[elbv2.LoadBalancerAttributes(Key="load_balancing.cross_zone.enabled", Value="true")],
        Metadata=checkov_skip(
            (
                "CKV_AWS_91",
                "Internal NLB reached only through API Gateway and the VPC; access logs would need a bucket per stack",
            ),
        ),
    )
    return [nlb, *_targets()]


def _targets() -> list[object]:
    out: list[object] = []
    for name, listener, port, path in (
        ("NLBTargetGroup", "NLBListener", API_PORT, "/ping"),
        ("NLBTargetGroupDBMigrate", "NLBListenerDBMigrate", MIGRATION_PORT, ""),
    ):
        out.append(
            elbv2.TargetGroup(
                name,
                Port=port,
                Protocol="TCP",
                TargetType="ip",
                VpcId=Ref("VPC"),
                HealthCheckProtocol="HTTP" if path else "TCP",
                HealthCheckPath=path or NoValue,
                HealthCheckIntervalSeconds=10,
                TargetGroupAttributes=[
                    elbv2.TargetGroupAttribute(Key="deregistration_delay.timeout_seconds", Value="30")
                ],
            )
        )
        out.append(
            elbv2.Listener(
                listener,
                LoadBalancerArn=Ref("NLB"),
                Port=80 if port == API_PORT else port,
                Protocol="TCP",
                DefaultActions=[elbv2.Action(Type="forward", TargetGroupArn=Ref(name))],
            )
        )
    return out


def _service() -> ecs.Service:
    return ecs.Service(
        "ECSFargateService",
        DependsOn=["NLBListener", "NLBListenerDBMigrate"],
        Cluster=Ref("ECSCluster"),
        LaunchType="FARGATE",
        DesiredCount=1,
        TaskDefinition=Ref("TaskDefinition"),
        HealthCheckGracePeriodSeconds=120,
        DeploymentConfiguration=ecs.DeploymentConfiguration(
            MaximumPercent=200,
            MinimumHealthyPercent=100,
            DeploymentCircuitBreaker=ecs.DeploymentCircuitBreaker(Enable=True, Rollback=True),
        ),
        NetworkConfiguration=ecs.NetworkConfiguration(
            AwsvpcConfiguration=ecs.AwsvpcConfiguration(
                AssignPublicIp="ENABLED",
                SecurityGroups=[Ref("ServiceSecurityGroup")],
                Subnets=[Ref("Subnet1"), Ref("Subnet2")],
            )
        ),
        LoadBalancers=[
            ecs.LoadBalancer(ContainerName=CONTAINER, ContainerPort=API_PORT, TargetGroupArn=Ref("NLBTargetGroup")),
            ecs.LoadBalancer(
                ContainerName=CONTAINER, ContainerPort=MIGRATION_PORT, TargetGroupArn=Ref("NLBTargetGroupDBMigrate")
            ),
        ],
    )


def _cluster() -> ecs.Cluster:
    return ecs.Cluster(
        "ECSCluster",
        ClusterSettings=[ecs.ClusterSetting(Name="containerInsights", Value="disabled")],
        Metadata=checkov_skip(
            (
                "CKV_AWS_65",
                "One service task: Container Insights bills custom metrics while idle; ECS service metrics are free",
            ),
        ),
    )


def migration_url() -> Sub:
    """URL of the migration port inside the VPC."""
    return Sub(f"http://${{NLB.DNSName}}:{MIGRATION_PORT}")


def add(template: Template) -> None:
    """Add the database, its secret, and the metadata service behind the internal NLB."""
    resources: list[object] = [
        *_security_groups(),
        _secret(),
        *_database(),
        log_group(SERVICE_LOG_GROUP),
        _execution_role(),
        _task_definition(),
        _cluster(),
        *_load_balancer(),
        _service(),
    ]
    for resource in resources:
        template.add_resource(resource)
