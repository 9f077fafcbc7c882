"""parliament gate: every IAM policy document of the template, with its intrinsics resolved.

Documents come from roles' inline policies, managed policies and bucket policies of the
resources that exist for the given settings. Role trust policies are not given to parliament:
it audits identity and resource policies, and reads a trust policy (which has a Principal and,
by definition, no Resource) as MALFORMED. HIGH and MEDIUM findings fail the
gate unless `allowlist.ALLOWED` names them, with the reason they are false positives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import parliament
from cfnlint.decode import decode_str

from mfstack.gates.allowlist import allowed_reason
from mfstack.gates.findings import Finding, region_for
from mfstack.gates.resolve import Context, active, context, resolve

GATE = "parliament"
FAILING = ("CRITICAL", "HIGH", "MEDIUM")


def documents(template_text: str, values: Mapping[str, str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, policy document) for every IAM policy of the resources these settings create."""
    template, problems = decode_str(template_text)
    if template is None:
        raise ValueError(f"template does not parse: {problems}")
    ctx = context(template, values, region_for(values))
    for name, resource in template["Resources"].items():
        if active(resource, ctx):
            yield from _resource_documents(name, resource, ctx)


def _resource_documents(name: str, resource: Mapping[str, Any], ctx: Context) -> Iterator[tuple[str, dict[str, Any]]]:
    props = resource.get("Properties", {})
    kind = resource["Type"]
    if kind == "AWS::IAM::Role":
        for item in props.get("Policies", []):
            yield f"{name}/{item['PolicyName']}", resolve(item["PolicyDocument"], ctx)
    elif kind in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy", "AWS::S3::BucketPolicy"):
        yield f"{name}/PolicyDocument", resolve(props["PolicyDocument"], ctx)


def severity(issue: str) -> str:
    """Parliament's severity of an issue type."""
    entry = parliament.config.get(issue, {})
    return str(entry.get("severity", "MEDIUM")) if isinstance(entry, dict) else "MEDIUM"


def audit(template_text: str, values: Mapping[str, str]) -> tuple[list[Finding], list[Finding]]:
    """(failing, allow-listed) parliament findings over every policy of the template."""
    failing: list[Finding] = []
    allowed: list[Finding] = []
    for where, doc in documents(template_text, values):
        for raw in parliament.analyze_policy_string(json.dumps(doc)).findings:
            level = severity(raw.issue)
            if level not in FAILING:
                continue
            detail = json.dumps(raw.detail, default=str)
            reason = allowed_reason(raw.issue, where, detail)
            finding = Finding(GATE, level, raw.issue, where, reason or detail)
            (allowed if reason else failing).append(finding)
    return failing, allowed
