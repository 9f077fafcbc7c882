"""Notebook: a SageMaker notebook instance wired to this stack (EnableSagemaker).

Its lifecycle configuration writes `~/.metaflowconfig/config.json` with every Metaflow setting
of this stack (from the outputs table), fetches the API key when auth is on, and installs
Metaflow, so `from metaflow import Flow` works in the first cell. IMDSv2 only, no root access,
no inbound rules; the execution role can do what a Metaflow user does and nothing more.
"""

from __future__ import annotations

import json
from typing import Any

from troposphere import Base64, GetAtt, If, Ref, Sub, Template, ec2, iam, sagemaker

from mfstack.stack.access import user_statements
from mfstack.stack.common import AUTH, NOTEBOOK, allow, arn, checkov_skip, policy, trust
from mfstack.stack.outputs import AUTH_KEY_SETTING, OUTPUTS, PROFILE_CONSTANTS

INSTANCE = "SageMakerNotebookInstance"
HOME = "/home/ec2-user"

SCRIPT = """#!/bin/bash
# Wire this notebook to the Metaflow stack ${AWS::StackName}.
set -euo pipefail
mkdir -p %(home)s/.metaflowconfig
cat > %(home)s/.metaflowconfig/config.json <<'JSON'
%(config)s
JSON
if [ -n "${ApiKeyId}" ]; then
  if KEY=$(aws apigateway get-api-key --region ${AWS::Region} --api-key ${ApiKeyId} --include-value --query value --output text); then
    MF_KEY="$KEY" python3 -c 'import json, os; p = "%(home)s/.metaflowconfig/config.json"; c = json.load(open(p)); c["%(auth)s"] = os.environ["MF_KEY"]; json.dump(c, open(p, "w"), indent=2)'
  else
    echo "mfstack: could not read API key ${ApiKeyId}; set %(auth)s in the Metaflow config yourself" >&2
  fi
fi
chown -R ec2-user:ec2-user %(home)s/.metaflowconfig
chmod 600 %(home)s/.metaflowconfig/config.json
nohup sudo -u ec2-user -i bash -c 'source %(home)s/anaconda3/bin/activate python3 && pip install --quiet --upgrade metaflow' > %(home)s/.metaflowconfig/install.log 2>&1 &
"""


def config_template() -> tuple[str, dict[str, Any]]:
    """The profile JSON with ${Output} placeholders, and the placeholder values."""
    config: dict[str, str] = dict(PROFILE_CONSTANTS)
    variables: dict[str, Any] = {}
    for spec in OUTPUTS:
        if spec.metaflow_key and spec.value is not None:
            config[spec.metaflow_key] = "${" + spec.name + "}"
            variables[spec.name] = spec.value
    variables["ApiKeyId"] = If(AUTH, Ref("ApiKey"), "")
    return json.dumps(config, indent=2), variables


def lifecycle_script() -> Sub:
    """The on-start script, with this stack's values substituted by CloudFormation."""
    config, variables = config_template()
    body = SCRIPT % {"home": HOME, "config": config, "auth": AUTH_KEY_SETTING}
    return Sub(body, **variables)


def _role() -> iam.Role:
    notebook_logs = allow(
        "NotebookLogs",
        ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        [arn("logs", "log-group:/aws/sagemaker/NotebookInstances:*")],
    )
    return iam.Role(
        "SageMakerExecutionRole",
        Condition=NOTEBOOK,
        Description="Role of the Metaflow notebook: what a Metaflow user may do on this stack",
        AssumeRolePolicyDocument=trust("sagemaker.amazonaws.com"),
        Policies=[iam.Policy(PolicyName="metaflow-user", PolicyDocument=policy(*user_statements(), notebook_logs))],
    )


def _security_group() -> ec2.SecurityGroup:
    return ec2.SecurityGroup(
        "NotebookSecurityGroup",
        Condition=NOTEBOOK,
        GroupDescription="Metaflow notebook: no inbound traffic, HTTPS outbound",
        VpcId=Ref("VPC"),
        SecurityGroupEgress=[
            ec2.SecurityGroupRule(
                Description="AWS APIs and package indexes over HTTPS",
                IpProtocol="tcp",
                FromPort=443,
                ToPort=443,
                CidrIp="0.0.0.0/0",
            )
        ],
    )


def _lifecycle() -> sagemaker.NotebookInstanceLifecycleConfig:
    return sagemaker.NotebookInstanceLifecycleConfig(
        "NotebookLifecycleConfig",
        Condition=NOTEBOOK,
        OnStart=[sagemaker.NotebookInstanceLifecycleHook(Content=Base64(lifecycle_script()))],
    )


def _instance() -> sagemaker.NotebookInstance:
    return sagemaker.NotebookInstance(
        INSTANCE,
        Condition=NOTEBOOK,
        InstanceType=Ref("SagemakerInstance"),
        RoleArn=GetAtt("SageMakerExecutionRole", "Arn"),
        SubnetId=Ref("Subnet1"),
        SecurityGroupIds=[Ref("NotebookSecurityGroup")],
        DirectInternetAccess="Enabled",
        RootAccess="Disabled",
        VolumeSizeInGB=20,
        LifecycleConfigName=GetAtt("NotebookLifecycleConfig", "NotebookInstanceLifecycleConfigName"),
        InstanceMetadataServiceConfiguration=sagemaker.InstanceMetadataServiceConfiguration(
            MinimumInstanceMetadataServiceVersion="2"
        ),
        Metadata=checkov_skip(
            ("CKV_AWS_187", "The volume is encrypted with the AWS managed key; a customer key adds cost"),
        ),
    )


def add(template: Template) -> None:
    """Add the notebook, its role, security group and lifecycle configuration."""
    for resource in (_role(), _security_group(), _lifecycle(), _instance()):
        template.add_resource(resource)
