"""Every deploy-time setting, declared once.

A setting becomes a CloudFormation parameter of the same name (`stack/`), a `--set Name=Value`
of `synth`, `deploy` and `cost`, and a row of the README's parameter table. Values are kept as
the strings CloudFormation takes; `resolve` validates them before any AWS call.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from mfstack.errors import SettingError

Kind = Literal["string", "number", "bool", "cidr", "instance_types", "arn", "image"]

BOOL_VALUES = ("true", "false")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov")
ARN_RE = re.compile(r"^arn:aws(-cn|-us-gov)?:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:[^\s]+$")
INSTANCE_TYPE_RE = re.compile(r"^([a-z][a-z0-9-]*\.[a-z0-9]+|optimal|default_x86_64|default_arm64)$")
IMAGE_RE = re.compile(r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$")


@dataclass(frozen=True)
class Setting:
    """One deploy-time setting: its template parameter and how a value is checked."""

    name: str
    kind: Kind
    default: str
    help: str
    group: str
    label: str
    allowed: tuple[str, ...] = ()
    min_value: int | None = None
    max_value: int | None = None
    pattern: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def cfn_type(self) -> str:
        """The CloudFormation parameter type."""
        return "Number" if self.kind == "number" else "String"

    def accepted(self) -> str:
        """Human description of the values this setting accepts (used in errors and docs)."""
        if self.allowed:
            return "one of " + ", ".join(self.allowed)
        if self.kind == "number":
            return f"an integer from {self.min_value} to {self.max_value}"
        return {
            "cidr": "an IPv4 CIDR block such as 10.20.0.0/16",
            "instance_types": "a comma-separated list of EC2 instance types such as c5.large,m5.xlarge",
            "arn": "an IAM policy ARN (arn:aws:iam::123456789012:policy/name) or empty",
            "image": "a container image reference such as registry/repo:tag",
        }.get(self.kind, "any text")


NETWORK, COMPUTE, SERVICE, ACCESS, NOTEBOOK = (
    "Network",
    "Compute (AWS Batch)",
    "Metadata service and API",
    "Access",
    "Notebook",
)

SETTINGS: tuple[Setting, ...] = (
    Setting("VPCCidr", "cidr", "10.20.0.0/16", "CIDR block of the Metaflow VPC.", NETWORK, "VPC CIDR"),
    Setting(
        "Subnet1Cidr", "cidr", "10.20.0.0/24", "CIDR of the first subnet (inside VPCCidr).", NETWORK, "Subnet 1 CIDR"
    ),
    Setting(
        "Subnet2Cidr", "cidr", "10.20.1.0/24", "CIDR of the second subnet, in another AZ.", NETWORK, "Subnet 2 CIDR"
    ),
    Setting(
        "BatchType",
        "string",
        "ec2",
        "Compute for AWS Batch: EC2 instances or Fargate.",
        COMPUTE,
        "Batch compute type",
        allowed=("ec2", "fargate"),
    ),
    Setting(
        "MinVCPUBatch",
        "number",
        "0",
        "Minimum vCPUs kept running by Batch (0: nothing idles).",
        COMPUTE,
        "Minimum vCPUs",
        min_value=0,
        max_value=4096,
    ),
    Setting(
        "DesiredVCPUBatch",
        "number",
        "0",
        "vCPUs Batch starts with (between min and max).",
        COMPUTE,
        "Desired vCPUs",
        min_value=0,
        max_value=4096,
    ),
    Setting(
        "MaxVCPUBatch",
        "number",
        "64",
        "Maximum vCPUs Batch may scale out to.",
        COMPUTE,
        "Maximum vCPUs",
        min_value=1,
        max_value=4096,
    ),
    Setting(
        "ComputeEnvInstanceTypes",
        "instance_types",
        "c5.large,c5.xlarge,c5.2xlarge,c5.4xlarge,m5.large,m5.xlarge,m5.2xlarge",
        "EC2 instance types for the Batch compute environment (BatchType=ec2).",
        COMPUTE,
        "Instance types",
    ),
    Setting(
        "AdditionalWorkerPolicyArn",
        "arn",
        "",
        "Extra IAM policy attached to the role of Metaflow tasks.",
        COMPUTE,
        "Additional worker policy ARN",
    ),
    Setting(
        "MetadataServiceImage",
        "image",
        "public.ecr.aws/outerbounds/metaflow_metadata_service:2.5.0",
        "Container image of the metadata service.",
        SERVICE,
        "Metadata service image",
    ),
    Setting(
        "DatabaseInstanceClass",
        "string",
        "db.t3.small",
        "RDS instance class of the metadata database (PostgreSQL); the default exists in every region.",
        SERVICE,
        "Database instance class",
        allowed=(
            "db.t3.micro",
            "db.t3.small",
            "db.t3.medium",
            "db.t3.large",
            "db.t4g.micro",
            "db.t4g.small",
            "db.t4g.medium",
            "db.t4g.large",
            "db.m6g.large",
            "db.m6g.xlarge",
            "db.m7g.large",
            "db.m7g.xlarge",
        ),
    ),
    Setting(
        "LogRetentionDays",
        "number",
        "365",
        "Days the metadata service and migration logs are kept in CloudWatch Logs.",
        SERVICE,
        "Log retention (days)",
        allowed=("30", "60", "90", "180", "365", "731", "1827", "3653"),
    ),
    Setting(
        "APIBasicAuth",
        "bool",
        "true",
        "Require an API key on every metadata service request.",
        SERVICE,
        "API key auth",
        allowed=BOOL_VALUES,
    ),
    Setting(
        "CustomRole",
        "bool",
        "false",
        "Create a restricted IAM role for Metaflow users.",
        ACCESS,
        "User role",
        allowed=BOOL_VALUES,
    ),
    Setting(
        "IAMPartition",
        "string",
        "aws",
        "IAM partition of the account (aws, aws-cn, aws-us-gov).",
        ACCESS,
        "IAM partition",
        allowed=PARTITIONS,
    ),
    Setting(
        "EnableSagemaker",
        "bool",
        "false",
        "Create a SageMaker notebook wired to this stack.",
        NOTEBOOK,
        "SageMaker notebook",
        allowed=BOOL_VALUES,
    ),
    Setting(
        "SagemakerInstance",
        "string",
        "ml.t3.medium",
        "Instance type of the SageMaker notebook.",
        NOTEBOOK,
        "Notebook instance type",
        allowed=(
            "ml.t3.medium",
            "ml.t3.large",
            "ml.t3.xlarge",
            "ml.t3.2xlarge",
            "ml.m5.xlarge",
            "ml.m5.2xlarge",
            "ml.m5.4xlarge",
        ),
    ),
)

GROUPS: tuple[str, ...] = (NETWORK, COMPUTE, SERVICE, ACCESS, NOTEBOOK)


def by_name() -> dict[str, Setting]:
    """Settings keyed by name, in declaration order."""
    return {s.name: s for s in SETTINGS}


def defaults() -> dict[str, str]:
    """Every setting at its default value."""
    return {s.name: s.default for s in SETTINGS}


def parse_assignments(pairs: Iterable[str]) -> dict[str, str]:
    """Turn `Name=Value` strings (from `--set`) into a dict; a malformed pair is a SettingError."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SettingError(
                f"'{pair}' is not a setting assignment: write it as Name=Value, e.g. --set BatchType=fargate."
            )
        out[name.strip()] = value.strip()
    return out


def check_value(setting: Setting, value: str) -> str:
    """Validate one value against its setting; return it normalized or raise SettingError."""
    v = value.strip()
    ok = _valid(setting, v)
    if not ok:
        raise SettingError(f"Setting {setting.name}={value!r} is not valid: {setting.name} takes {setting.accepted()}.")
    if setting.kind == "bool":
        return v.lower()
    if setting.kind == "number":
        return str(int(v))
    return v


def _valid(setting: Setting, v: str) -> bool:
    if setting.allowed:
        return (v.lower() if setting.kind == "bool" else v) in setting.allowed
    if setting.kind == "number":
        if not re.fullmatch(r"-?\d+", v):
            return False
        lo, hi = setting.min_value, setting.max_value
        return (lo is None or int(v) >= lo) and (hi is None or int(v) <= hi)
    if setting.kind == "cidr":
        return _parse_net(v) is not None
    if setting.kind == "instance_types":
        items = [t.strip() for t in v.split(",")]
        return bool(v) and all(INSTANCE_TYPE_RE.match(t) for t in items)
    if setting.kind == "arn":
        return v == "" or bool(ARN_RE.match(v))
    if setting.kind == "image":
        return bool(IMAGE_RE.match(v))
    return True


def _parse_net(v: str) -> ipaddress.IPv4Network | None:
    try:
        net = ipaddress.ip_network(v, strict=True)
    except ValueError:
        return None
    if not isinstance(net, ipaddress.IPv4Network) or not 16 <= net.prefixlen <= 28:
        return None
    return net


def resolve(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """Defaults with `overrides` applied, every value and every cross-setting rule checked."""
    known = by_name()
    values = defaults()
    for name, value in (overrides or {}).items():
        if name not in known:
            raise SettingError(f"Unknown setting '{name}'. Known settings: {', '.join(known)}.")
        values[name] = check_value(known[name], value)
    _check_network(values)
    _check_vcpus(values)
    return values


def _check_network(values: Mapping[str, str]) -> None:
    vpc, s1, s2 = (_parse_net(values[k]) for k in ("VPCCidr", "Subnet1Cidr", "Subnet2Cidr"))
    assert vpc and s1 and s2  # each was checked by check_value
    for name, net in (("Subnet1Cidr", s1), ("Subnet2Cidr", s2)):
        if not net.subnet_of(vpc):
            raise SettingError(
                f"{name}={net} is not inside VPCCidr={vpc}: each subnet must be a part of the VPC's range."
            )
    if s1.overlaps(s2):
        raise SettingError(
            f"Subnet1Cidr={s1} and Subnet2Cidr={s2} overlap: give the two subnets separate ranges inside {vpc}."
        )


def _check_vcpus(values: Mapping[str, str]) -> None:
    lo, want, hi = (int(values[k]) for k in ("MinVCPUBatch", "DesiredVCPUBatch", "MaxVCPUBatch"))
    if not lo <= want <= hi:
        raise SettingError(
            f"Batch vCPUs must satisfy MinVCPUBatch <= DesiredVCPUBatch <= MaxVCPUBatch, got {lo} <= {want} <= {hi}."
        )
