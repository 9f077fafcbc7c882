"""Settings validation: every value and cross-setting rule is checked before any AWS call."""

from __future__ import annotations

import pytest

from mfstack import settings
from mfstack.errors import SettingError


def test_defaults_resolve_and_idle_at_zero_vcpus() -> None:
    values = settings.resolve()
    assert values == settings.defaults()
    assert values["MinVCPUBatch"] == values["DesiredVCPUBatch"] == "0"


def test_values_are_normalized() -> None:
    values = settings.resolve({"APIBasicAuth": "FALSE", "MaxVCPUBatch": "0128"})
    assert values["APIBasicAuth"] == "false" and values["MaxVCPUBatch"] == "128"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BatchType", "gpu"),
        ("MaxVCPUBatch", "0"),
        ("MaxVCPUBatch", "many"),
        ("VPCCidr", "10.20.0.0/33"),
        ("VPCCidr", "10.20.0.1/16"),
        ("ComputeEnvInstanceTypes", "c5.large,,m5.large"),
        ("AdditionalWorkerPolicyArn", "not-an-arn"),
        ("SagemakerInstance", "ml.t2.medium"),
        ("DatabaseInstanceClass", "db.t2.small"),
        ("LogRetentionDays", "17"),
        ("IAMPartition", "azure"),
    ],
)
def test_bad_values_are_refused_naming_what_is_accepted(name: str, value: str) -> None:
    with pytest.raises(SettingError) as err:
        settings.resolve({name: value})
    assert name in err.value.message and "takes" in err.value.message


def test_unknown_setting_lists_the_known_ones() -> None:
    with pytest.raises(SettingError, match=r"Unknown setting 'BatchTyp'.*BatchType"):
        settings.resolve({"BatchTyp": "ec2"})


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"Subnet1Cidr": "10.30.0.0/24"}, "not inside VPCCidr"),
        ({"Subnet2Cidr": "10.20.0.128/25"}, "overlap"),
        ({"MinVCPUBatch": "8", "DesiredVCPUBatch": "4"}, "MinVCPUBatch <= DesiredVCPUBatch"),
        ({"DesiredVCPUBatch": "100", "MaxVCPUBatch": "64"}, "DesiredVCPUBatch <= MaxVCPUBatch"),
    ],
)
def test_cross_setting_rules(overrides: dict[str, str], fragment: str) -> None:
    with pytest.raises(SettingError, match=fragment):
        settings.resolve(overrides)


def test_assignments_parse_and_malformed_ones_are_refused() -> None:
    assert settings.parse_assignments(["BatchType=fargate", " MaxVCPUBatch = 32 "]) == {
        "BatchType": "fargate",
        "MaxVCPUBatch": "32",
    }
    assert settings.parse_assignments(["AdditionalWorkerPolicyArn="]) == {"AdditionalWorkerPolicyArn": ""}
    with pytest.raises(SettingError, match="Name=Value"):
        settings.parse_assignments(["BatchType"])


def test_every_setting_is_grouped_labelled_and_its_default_valid() -> None:
    for setting in settings.SETTINGS:
        assert setting.group in settings.GROUPS and setting.label and setting.help.endswith(".")
        assert settings.check_value(setting, setting.default) == setting.default
