"""The three quality gates over a parameter matrix that covers every condition.

cfn-lint (errors and warnings), checkov (failed checks) and parliament (HIGH/MEDIUM findings
outside the allow-list) must all report nothing. Each combination is synthesized once and
linted in the region of its partition (us-east-1 or us-gov-west-1).
"""

from __future__ import annotations

import pytest
from stack_testkit import synthesized, template_dict

from mfstack.gates import run_gates
from mfstack.gates.allowlist import ALLOWED
from mfstack.gates.matrix import AXES, MATRIX, ROWS, label, pairs_covered

pytestmark = pytest.mark.slow


def test_matrix_covers_every_value_and_every_pair_of_axes() -> None:
    assert pairs_covered(ROWS)
    for axis, values in AXES.items():
        assert {combo[axis] for combo in MATRIX} == set(values)
    conditions = set(template_dict()["Conditions"])
    assert conditions == {
        "EnableAuth",
        "DisableAuth",
        "EnableRole",
        "EnableSagemaker",
        "IsFargate",
        "IsEc2",
        "HasAdditionalWorkerPolicy",
    }
    # each condition is a function of one axis:
    assert {"APIBasicAuth", "CustomRole", "EnableSagemaker", "BatchType", "AdditionalWorkerPolicyArn"} <= set(AXES)


@pytest.mark.parametrize("overrides", MATRIX, ids=[label(c) for c in MATRIX])
def test_gates_are_clean(overrides: dict[str, str]) -> None:
    values, text = synthesized(tuple(sorted(overrides.items())))
    report = run_gates(text, values)
    assert report.findings == [], "\n".join(f"{f.gate} {f.rule} {f.resource}: {f.message}" for f in report.findings)
    assert set(report.counts) == {"cfn-lint", "checkov", "parliament"}
    for skipped in report.skipped:
        assert len(skipped.message.split()) >= 5, f"{skipped.rule} on {skipped.resource} is skipped without a reason"


def test_allow_list_entries_each_carry_a_reason() -> None:
    for entry in ALLOWED:
        assert entry.reason.strip() and entry.issue and entry.policy


BAD_TEMPLATE = """
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  IAMPartition:
    Type: String
    Default: aws
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      NotAProperty: true
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal: {Service: [lambda.amazonaws.com]}
            Action: ['sts:AssumeRole']
      Policies:
        - PolicyName: wrong-resource
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: ['s3:GetObject']
                Resource: [!GetAtt Bucket.Arn]
"""


def test_each_gate_reports_what_it_should() -> None:
    """A broken template: an unknown property, an unencrypted public-by-default bucket, and a policy whose
    object action names the bucket instead of its objects. Every gate must say so."""
    report = run_gates(BAD_TEMPLATE, {"IAMPartition": "aws"})
    by_gate = {gate: [f for f in report.findings if f.gate == gate] for gate in report.counts}
    assert any(f.rule == "E3002" for f in by_gate["cfn-lint"])
    assert any(f.resource == "AWS::S3::Bucket.Bucket" for f in by_gate["checkov"])
    assert any(f.rule == "RESOURCE_MISMATCH" and f.resource == "Role/wrong-resource" for f in by_gate["parliament"])
    assert not report.clean


def test_every_checkov_skip_is_needed_and_nothing_else_fails() -> None:
    """Without the skips in the resources' Metadata, checkov fails exactly the skipped checks: no
    skip is stale (a reviewer reads each reason), and none hides another failure."""
    import json

    from stack_testkit import declared_skips, without_skips

    from mfstack.gates import checks

    template = template_dict((("CustomRole", "true"), ("EnableSagemaker", "true")))
    failed, _ = checks.scan(json.dumps(without_skips(template)))
    assert {(f.rule, f.resource.split(".")[-1]) for f in failed} == declared_skips(template)
