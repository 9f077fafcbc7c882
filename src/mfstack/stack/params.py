"""Parameters (one per setting), their console grouping, and the stack's conditions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from troposphere import Condition, Equals, Not, Parameter, Ref, Template

from mfstack.settings import GROUPS, SETTINGS, Setting
from mfstack.stack.common import AUTH, EC2, EXTRA_POLICY, FARGATE, NO_AUTH, NOTEBOOK, ROLE

# Patterns CloudFormation checks before it creates anything (settings.resolve checks more).
PATTERNS: dict[str, str] = {
    "cidr": r"^(\d{1,3}\.){3}\d{1,3}/(1[6-9]|2[0-8])$",
    "instance_types": r"^[a-z0-9_.-]+(,[a-z0-9_.-]+)*$",
    "arn": r"^(arn:aws(-cn|-us-gov)?:iam::(\d{12}|aws):policy/\S+)?$",
    "image": r"^[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$",
}


def _parameter(setting: Setting, default: str) -> Parameter:
    kwargs: dict[str, Any] = {"Type": setting.cfn_type, "Default": default, "Description": setting.help}
    if setting.allowed:
        kwargs["AllowedValues"] = list(setting.allowed)
    elif setting.kind == "number":
        kwargs["MinValue"] = setting.min_value
        kwargs["MaxValue"] = setting.max_value
    pattern = setting.pattern or PATTERNS.get(setting.kind)
    if pattern and not setting.allowed:
        kwargs["AllowedPattern"] = pattern
        kwargs["ConstraintDescription"] = f"must be {setting.accepted()}"
    return Parameter(setting.name, **kwargs)


def add_parameters(template: Template, values: Mapping[str, str]) -> None:
    """One parameter per setting (defaults = resolved values), grouped and labelled for the console."""
    for setting in SETTINGS:
        template.add_parameter(_parameter(setting, values[setting.name]))
    groups = [
        {"Label": {"default": group}, "Parameters": [s.name for s in SETTINGS if s.group == group]} for group in GROUPS
    ]
    labels = {s.name: {"default": s.label} for s in SETTINGS}
    template.set_metadata({"AWS::CloudFormation::Interface": {"ParameterGroups": groups, "ParameterLabels": labels}})


def add_conditions(template: Template) -> None:
    """The switches that turn whole components on and off."""
    template.add_condition(AUTH, Equals(Ref("APIBasicAuth"), "true"))
    template.add_condition(NO_AUTH, Not(Condition(AUTH)))
    template.add_condition(ROLE, Equals(Ref("CustomRole"), "true"))
    template.add_condition(NOTEBOOK, Equals(Ref("EnableSagemaker"), "true"))
    template.add_condition(FARGATE, Equals(Ref("BatchType"), "fargate"))
    template.add_condition(EC2, Not(Equals(Ref("BatchType"), "fargate")))
    template.add_condition(EXTRA_POLICY, Not(Equals(Ref("AdditionalWorkerPolicyArn"), "")))
