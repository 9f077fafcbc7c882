"""Who may assume the stack's restricted user role: its trust policy, edited idempotently.

`grant` adds a principal ARN to an mfstack-owned statement (Sid `MfstackGrants`) and `revoke`
removes it from wherever it appears; every other statement is kept as it is.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from mfstack.aws import AwsContext, aws_errors
from mfstack.errors import AwsError, MfstackError

GRANT_SID = "MfstackGrants"
ROLE_OUTPUT = "MetaflowUserRoleArn"
PRINCIPAL_RE = re.compile(
    r"^arn:aws(-cn|-us-gov)?:(iam|sts)::\d{12}:(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+|assumed-role/[\w+=,.@/-]+)$"
)
ROLE_ARN_RE = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")


@dataclass(frozen=True)
class TrustChange:
    """What a grant or revoke did."""

    role_arn: str
    principal: str
    changed: bool
    principals: tuple[str, ...]


def validate_principal(arn: str) -> str:
    """The ARN if it names an IAM user, role, assumed role or account root; else MfstackError."""
    arn = arn.strip()
    if not PRINCIPAL_RE.match(arn):
        raise MfstackError(
            f"'{arn}' is not an IAM principal ARN.",
            hint="Use arn:aws:iam::123456789012:user/NAME, arn:aws:iam::123456789012:role/NAME or arn:aws:iam::123456789012:root.",
        )
    return arn


def role_name(role_arn: str) -> str:
    """The role name inside a role ARN."""
    match = ROLE_ARN_RE.match(role_arn)
    if not match:
        raise MfstackError(f"'{role_arn}' is not an IAM role ARN.")
    return match.group(2)


def _policy(aws: AwsContext, role_arn: str) -> dict[str, Any]:
    with aws_errors(f"read the trust policy of {role_arn}"):
        doc = aws.client("iam").get_role(RoleName=role_name(role_arn))["Role"]["AssumeRolePolicyDocument"]
    if isinstance(doc, str):
        doc = json.loads(urllib.parse.unquote(doc))
    return dict(doc)


def _aws_principals(stmt: dict[str, Any]) -> list[str]:
    principal = stmt.get("Principal")
    value = principal.get("AWS", []) if isinstance(principal, dict) else []
    return [value] if isinstance(value, str) else list(value)


def principals(policy: dict[str, Any]) -> tuple[str, ...]:
    """Every AWS principal allowed to assume the role."""
    found = [p for s in _statements(policy) if s.get("Effect") == "Allow" for p in _aws_principals(s)]
    return tuple(dict.fromkeys(found))


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    stmts = policy.get("Statement", [])
    return [stmts] if isinstance(stmts, dict) else list(stmts)


def list_principals(aws: AwsContext, role_arn: str) -> tuple[str, ...]:
    """The AWS principals the role's trust policy allows."""
    return principals(_policy(aws, role_arn))


def grant(aws: AwsContext, role_arn: str, principal: str) -> TrustChange:
    """Allow `principal` to assume the role (no change when it already may)."""
    principal = validate_principal(principal)
    policy = _policy(aws, role_arn)
    if principal in principals(policy):
        return TrustChange(role_arn, principal, False, principals(policy))
    stmts = _statements(policy)
    ours = next((s for s in stmts if s.get("Sid") == GRANT_SID), None)
    if ours is None:
        ours = {"Sid": GRANT_SID, "Effect": "Allow", "Principal": {"AWS": []}, "Action": "sts:AssumeRole"}
        stmts.append(ours)
    ours["Principal"] = {"AWS": [*_aws_principals(ours), principal]}
    policy["Statement"] = stmts
    _save(aws, role_arn, policy)
    return TrustChange(role_arn, principal, True, principals(policy))


def revoke(aws: AwsContext, role_arn: str, principal: str) -> TrustChange:
    """Remove `principal` from every statement (dropping statements left with no principal)."""
    principal = validate_principal(principal)
    policy = _policy(aws, role_arn)
    if principal not in principals(policy):
        return TrustChange(role_arn, principal, False, principals(policy))
    kept: list[dict[str, Any]] = []
    for stmt in _statements(policy):
        before = _aws_principals(stmt)
        if principal not in before:
            kept.append(stmt)
            continue
        rest = [p for p in before if p != principal]
        others = {k: v for k, v in stmt["Principal"].items() if k != "AWS"}
        if rest or others:
            stmt["Principal"] = {**others, **({"AWS": rest} if rest else {})}
            kept.append(stmt)
    if not kept:
        raise AwsError(
            f"Revoking {principal} would leave the role {role_arn} with an empty trust policy, which IAM refuses."
        )
    policy["Statement"] = kept
    _save(aws, role_arn, policy)
    return TrustChange(role_arn, principal, True, principals(policy))


def _save(aws: AwsContext, role_arn: str, policy: dict[str, Any]) -> None:
    with aws_errors(f"update the trust policy of {role_arn}"):
        aws.client("iam").update_assume_role_policy(RoleName=role_name(role_arn), PolicyDocument=json.dumps(policy))
