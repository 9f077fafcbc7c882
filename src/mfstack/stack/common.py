"""Helpers every component module shares: ARNs in the stack's partition, policy documents, skips."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from awacs.aws import Action, Allow, PolicyDocument, Principal, Statement
from troposphere import If, Sub

POLICY_VERSION = "2012-10-17"

# Conditions (names used by the Outputs table too).
AUTH = "EnableAuth"
NO_AUTH = "DisableAuth"
ROLE = "EnableRole"
NOTEBOOK = "EnableSagemaker"
FARGATE = "IsFargate"
EC2 = "IsEc2"
EXTRA_POLICY = "HasAdditionalWorkerPolicy"

# Ports of the metadata service container.
API_PORT = 8080
MIGRATION_PORT = 8082


def arn(service: str, resource: str) -> Sub:
    """An ARN of this stack's region and account, in its partition (parameter IAMPartition).

    `resource` may use `${...}` substitutions, e.g. `arn("ec2", "subnet/${Subnet1}")`.
    """
    return Sub(f"arn:${{IAMPartition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}")


def actions(*names: str) -> list[Action]:
    """`"s3:GetObject"`-style names as awacs actions."""
    out = []
    for name in names:
        prefix, _, action = name.partition(":")
        out.append(Action(prefix, action))
    return out


def allow(sid: str, names: Sequence[str], resources: Iterable[Any]) -> Statement:
    """One Allow statement."""
    return Statement(Sid=sid, Effect=Allow, Action=actions(*names), Resource=list(resources))


def policy(*statements: Statement | If) -> dict[str, Any]:
    """A policy document; a statement may be wrapped in `If(condition, statement, NoValue)`."""
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def trust(service: str) -> PolicyDocument:
    """A role trust policy letting one AWS service assume the role."""
    statement = Statement(Effect=Allow, Principal=Principal("Service", [service]), Action=actions("sts:AssumeRole"))
    return PolicyDocument(Version=POLICY_VERSION, Statement=[statement])


def checkov_skip(*entries: tuple[str, str]) -> dict[str, Any]:
    """Resource Metadata that skips checkov checks, each with the reason a reviewer reads."""
    return {"checkov": {"skip": [{"id": check, "comment": reason} for check, reason in entries]}}
