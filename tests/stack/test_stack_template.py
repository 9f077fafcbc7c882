"""What the synthesized template contains: the stack the issue asks for, checked as data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from stack_testkit import template_dict, walk

from mfstack import settings
from mfstack.gates.matrix import MATRIX, label
from mfstack.gates.resolve import active, context, resolve
from mfstack.stack import build_template, render
from mfstack.stack.migration import ZIPFILE_LIMIT, function_source
from mfstack.stack.outputs import OUTPUTS

DEFAULT = template_dict()
ALL_ON = template_dict((("CustomRole", "true"), ("EnableSagemaker", "true")))
KEEPING = ("Retain", "Snapshot")
STATEFUL = (
    "AWS::S3::Bucket",
    "AWS::RDS::DBInstance",
    "AWS::SecretsManager::Secret",
    "AWS::DynamoDB::Table",
    "AWS::Logs::LogGroup",
)


def res(name: str, template: dict[str, Any] = DEFAULT) -> dict[str, Any]:
    resource: dict[str, Any] = template["Resources"][name]
    return resource


def props(name: str, template: dict[str, Any] = DEFAULT) -> dict[str, Any]:
    out: dict[str, Any] = res(name, template).get("Properties", {})
    return out


def test_parameters_are_the_settings_with_resolved_defaults() -> None:
    values = settings.resolve({"BatchType": "fargate", "MaxVCPUBatch": "128"})
    template = json.loads(render(build_template(values), "json"))
    assert sorted(template["Parameters"]) == sorted(s.name for s in settings.SETTINGS)
    assert template["Parameters"]["BatchType"]["Default"] == "fargate"
    assert template["Parameters"]["MaxVCPUBatch"]["Default"] == "128"
    assert template["Parameters"]["BatchType"]["AllowedValues"] == ["ec2", "fargate"]
    assert template["Parameters"]["MinVCPUBatch"]["Default"] == "0"
    assert template["Parameters"]["DesiredVCPUBatch"]["Default"] == "0"


def test_console_groups_list_every_parameter_once_with_a_label() -> None:
    interface = DEFAULT["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [p for g in interface["ParameterGroups"] for p in g["Parameters"]]
    assert sorted(grouped) == sorted(DEFAULT["Parameters"]) and len(grouped) == len(set(grouped))
    assert set(interface["ParameterLabels"]) == set(DEFAULT["Parameters"])


@pytest.mark.parametrize(
    ("logical_id", "kind"),
    [
        ("MetaflowS3Bucket", "AWS::S3::Bucket"),
        ("RDSMasterInstance", "AWS::RDS::DBInstance"),
        ("MyRDSSecret", "AWS::SecretsManager::Secret"),
        ("StepFunctionsStateDDB", "AWS::DynamoDB::Table"),
        ("ApiKey", "AWS::ApiGateway::ApiKey"),
        ("JobQueue", "AWS::Batch::JobQueue"),
        ("ComputeEnvironment", "AWS::Batch::ComputeEnvironment"),
        ("MetaflowUserRole", "AWS::IAM::Role"),
    ],
)
def test_logical_ids_kept_from_the_reference_template(logical_id: str, kind: str) -> None:
    assert res(logical_id)["Type"] == kind


def test_every_stateful_resource_keeps_its_data_on_delete_and_replace() -> None:
    stateful = {k: v for k, v in DEFAULT["Resources"].items() if v["Type"] in STATEFUL}
    assert len(stateful) >= 6
    for name, resource in stateful.items():
        assert resource.get("DeletionPolicy") in KEEPING, name
        assert resource.get("UpdateReplacePolicy") in KEEPING, name
    assert res("RDSMasterInstance")["DeletionPolicy"] == "Snapshot"


def test_bucket_is_private_encrypted_and_tls_only() -> None:
    bucket = props("MetaflowS3Bucket")
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert all(bucket["PublicAccessBlockConfiguration"].values()) and len(bucket["PublicAccessBlockConfiguration"]) == 4
    statements = props("MetaflowS3BucketPolicy")["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
    )


def test_database_is_supported_encrypted_private_and_backed_up() -> None:
    db = props("RDSMasterInstance")
    assert db["Engine"] == "postgres" and int(db["EngineVersion"].split(".")[0]) >= 16
    assert db["StorageEncrypted"] is True and db["PubliclyAccessible"] is False
    assert db["BackupRetentionPeriod"] >= 7
    assert props("DBParameterGroup")["Parameters"] == {"rds.force_ssl": "1"}
    assert props("DBParameterGroup")["Family"] == "postgres" + db["EngineVersion"].split(".")[0]


def test_service_gets_the_password_as_a_secret_never_as_plain_environment() -> None:
    container = props("TaskDefinition")["ContainerDefinitions"][0]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert set(env) == {
        "MF_METADATA_DB_HOST",
        "MF_METADATA_DB_PORT",
        "MF_METADATA_DB_USER",
        "MF_METADATA_DB_NAME",
        "MF_METADATA_DB_SSL_MODE",
    }
    assert env["MF_METADATA_DB_SSL_MODE"] == "require"
    assert container["Secrets"] == [
        {"Name": "MF_METADATA_DB_PSWD", "ValueFrom": {"Fn::Sub": "${MyRDSSecret}:password::"}}
    ]
    assert sorted(p["ContainerPort"] for p in container["PortMappings"]) == [8080, 8082]
    assert "PSWD" not in json.dumps(container["Environment"])


def test_security_groups_admit_nothing_from_the_internet() -> None:
    for name, resource in ALL_ON["Resources"].items():
        if resource["Type"] == "AWS::EC2::SecurityGroup":
            assert resource["Properties"]["GroupDescription"], name
            for rule in resource["Properties"].get("SecurityGroupIngress", []):
                assert rule.get("CidrIp") != "0.0.0.0/0", name
    db_rules = props("DatabaseSecurityGroup")["SecurityGroupIngress"]
    assert db_rules == [
        {
            "Description": "PostgreSQL from the metadata service",
            "FromPort": 5432,
            "ToPort": 5432,
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": {"Ref": "ServiceSecurityGroup"},
        }
    ]


def test_no_policy_grants_every_action() -> None:
    for node in walk(ALL_ON["Resources"]):
        if isinstance(node, dict) and "Action" in node and "Effect" in node:
            acts = node["Action"] if isinstance(node["Action"], list) else [node["Action"]]
            assert not any(a == "*" or a.endswith(":*") for a in acts if node["Effect"] == "Allow"), node


def test_foreach_table_matches_metaflow() -> None:
    table = props("StepFunctionsStateDDB")
    assert table["KeySchema"] == [{"AttributeName": "pathspec", "KeyType": "HASH"}]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_migration_runs_itself_from_a_lambda_that_can_reach_s3() -> None:
    fn = props("MigrationFunction")
    assert fn["Runtime"] in ("python3.12", "python3.13", "python3.14")
    assert fn["VpcConfig"]["SubnetIds"] == [{"Ref": "Subnet1"}, {"Ref": "Subnet2"}]
    assert fn["Code"]["ZipFile"] == function_source() and len(function_source()) <= ZIPFILE_LIMIT
    endpoint = props("S3GatewayEndpoint")
    assert endpoint["VpcEndpointType"] == "Gateway" and endpoint["RouteTableIds"] == [{"Ref": "PublicRouteTable"}]
    custom = res("SchemaMigration")
    assert custom["Type"] == "Custom::SchemaMigration" and "ECSFargateService" in custom["DependsOn"]
    assert custom["Properties"]["ServiceImage"] == {"Ref": "MetadataServiceImage"}
    assert custom["Properties"]["MigrationUrl"] == {"Fn::Sub": "http://${NLB.DNSName}:8082"}


def test_api_requires_the_key_on_every_method_when_auth_is_on() -> None:
    methods = [r for r in DEFAULT["Resources"].values() if r["Type"] == "AWS::ApiGateway::Method"]
    assert len(methods) == 2
    for method in methods:
        assert method["Properties"]["ApiKeyRequired"] == {"Fn::If": ["EnableAuth", True, False]}
    throttle = props("ApiUsagePlan")["Throttle"]
    assert throttle["RateLimit"] > 0 and throttle["BurstLimit"] > 0
    assert props("ApiUsagePlan")["ApiStages"] == [{"ApiId": {"Ref": "Api"}, "Stage": "api"}]
    conditions = {res(n)["Condition"] for n in ("ApiKey", "ApiUsagePlan", "ApiUsagePlanKey")}
    assert conditions == {"EnableAuth"}
    paths = {props(n)["PathPart"] for n in ("ApiResource", "DBApiResource")}
    assert paths == {"{proxy+}", "db_schema_status"}


def test_ids_that_an_update_from_the_reference_template_would_collide_on_are_kept() -> None:
    """Resources CloudFormation would create before deleting the old ones, and that AWS refuses to
    have twice (a route, a gateway attachment, an API path, a listener port), keep their ids."""
    for name in (
        "GatewayAttachement",
        "DefaultGateway",
        "Subnet1RTA",
        "Subnet2RTA",
        "ApiResource",
        "DBApiResource",
        "ProxyMethod",
        "DBMethod",
        "VpcLink",
        "NLBListener",
        "NLBListenerDBMigrate",
        "NLBTargetGroup",
        "NLBTargetGroupDBMigrate",
        "ApiUsagePlan",
        "ApiUsagePlanKey",
        "DBSubnetGroup",
    ):
        assert name in ALL_ON["Resources"], name
    assert props("ApiKey")["Name"] == {"Fn::Sub": "${AWS::StackName}-ApiKey"}
    # a change here would replace the secret, and with it the database password
    assert props("MyRDSSecret")["GenerateSecretString"] == {
        "SecretStringTemplate": '{"username": "master"}',
        "GenerateStringKey": "password",
        "PasswordLength": 16,
        "ExcludeCharacters": '"@/\\',
    }
    db = props("RDSMasterInstance")
    assert (db["DBName"], db["DBInstanceClass"], db["EngineVersion"].split(".")[0]) == (
        "metaflow",
        {"Ref": "DatabaseInstanceClass"},
        "16",
    )
    assert settings.defaults()["DatabaseInstanceClass"] == "db.t3.small"
    assert props("JobQueue")["JobQueueName"] == {"Fn::Sub": "job-queue-${AWS::StackName}"}
    assert not [r for r in ALL_ON["Resources"].values() if r["Type"] == "AWS::ApiGateway::Stage"]


def test_outputs_are_the_outputs_table() -> None:
    outputs = DEFAULT["Outputs"]
    assert sorted(outputs) == sorted(o.name for o in OUTPUTS)
    for spec in OUTPUTS:
        if spec.metaflow_key:
            assert spec.metaflow_key in outputs[spec.name]["Description"]
        assert outputs[spec.name].get("Condition") == spec.condition
    assert outputs["ApiKeyId"]["Value"] == {"Ref": "ApiKey"}
    values = json.dumps([o["Value"] for o in outputs.values()])
    assert "resolve:secretsmanager" not in values and "ApiKey.Value" not in values


def test_notebook_is_imdsv2_only_and_exports_every_metaflow_setting() -> None:
    nb = props("SageMakerNotebookInstance")
    assert nb["InstanceMetadataServiceConfiguration"] == {"MinimumInstanceMetadataServiceVersion": "2"}
    assert nb["RootAccess"] == "Disabled"
    assert "SecurityGroupIngress" not in props("NotebookSecurityGroup")
    script = json.dumps(props("NotebookLifecycleConfig")["OnStart"])
    for spec in OUTPUTS:
        if spec.metaflow_key:
            assert spec.metaflow_key in script
    assert "METAFLOW_SERVICE_AUTH_KEY" in script and "get-api-key" in script


def _active_resources(overrides: dict[str, str]) -> set[str]:
    template = template_dict(tuple(sorted(overrides.items())))
    ctx = context(template, settings.resolve(overrides), "us-east-1")
    return {name for name, r in template["Resources"].items() if active(r, ctx)}


@pytest.mark.parametrize("overrides", MATRIX, ids=[label(c) for c in MATRIX])
def test_conditions_switch_whole_components(overrides: dict[str, str]) -> None:
    names = _active_resources(overrides)
    notebook = {
        "SageMakerNotebookInstance",
        "SageMakerExecutionRole",
        "NotebookSecurityGroup",
        "NotebookLifecycleConfig",
    }
    assert (notebook <= names) == (overrides["EnableSagemaker"] == "true")
    assert not (notebook & names) or notebook <= names
    ec2_only = {"ECSInstanceRole", "ECSInstanceProfile", "BatchLaunchTemplate"}
    assert (ec2_only & names == ec2_only) == (overrides["BatchType"] == "ec2")
    assert ({"ApiKey", "ApiUsagePlan", "ApiUsagePlanKey"} <= names) == (overrides["APIBasicAuth"] == "true")
    assert ({"MetaflowUserRole", "MetaflowUserPolicy"} <= names) == (overrides["CustomRole"] == "true")


@pytest.mark.parametrize("overrides", MATRIX, ids=[label(c) for c in MATRIX])
def test_additional_worker_policy_is_attached_only_when_given(overrides: dict[str, str]) -> None:
    template = template_dict(tuple(sorted(overrides.items())))
    ctx = context(template, settings.resolve(overrides), "us-east-1")
    role = resolve(template["Resources"]["BatchS3TaskRole"]["Properties"], ctx)
    extra = overrides["AdditionalWorkerPolicyArn"]
    assert role.get("ManagedPolicyArns") == ([extra] if extra else None)


def test_stage_gets_a_fresh_deployment_when_auth_or_the_api_shape_changes() -> None:
    from troposphere import Ref

    from mfstack.stack import api

    deployments = {n: r for n, r in DEFAULT["Resources"].items() if r["Type"] == "AWS::ApiGateway::Deployment"}
    assert sorted(r["Condition"] for r in deployments.values()) == ["DisableAuth", "EnableAuth"]
    assert {r["Properties"]["StageName"] for r in deployments.values()} == {"api"}
    auth = next(n for n, r in deployments.items() if r["Condition"] == "EnableAuth")
    assert res("ApiUsagePlan")["DependsOn"] == [auth]
    shape = api._api()
    changed = api._api()
    changed[4].Integration.Uri = Ref("AWS::NoValue")  # the proxy method points elsewhere
    assert api._fingerprint(shape) == api._fingerprint(api._api()) != api._fingerprint(changed)


def test_synthesis_is_pure_and_repeatable() -> None:
    """Building the template loads no AWS SDK and gives the same text every time."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from mfstack.stack import build_template, render\n"
        "text = render(build_template())\n"
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))\n"
        "print(hash(text) == hash(render(build_template())))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == ["[]", "True"]
    with pytest.raises(ValueError, match="unknown template format"):
        render(build_template(), "toml")  # type: ignore[arg-type]
