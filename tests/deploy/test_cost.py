"""The cost estimate prices the real synthesized template with the committed price table."""

from __future__ import annotations

import pytest

from mfstack import cost
from mfstack.settings import resolve


def _components(est: cost.CostEstimate) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in est.lines:
        out[line.component] = out.get(line.component, 0.0) + line.monthly
    return out


def test_defaults_idle_cost_and_notebook_on_off() -> None:
    off = cost.estimate(resolve({}))
    on = cost.estimate(resolve({"EnableSagemaker": "true"}))
    parts = _components(off)
    assert {"metadata database", "metadata service (Fargate)", "network load balancer", "secrets"} <= set(parts)
    assert "SageMaker notebook" not in parts and "Batch instances kept running" not in parts
    assert off.idle_total == pytest.approx(sum(line.monthly for line in off.lines), abs=0.01)
    hourly = cost.price_table()["prices"]["notebook_instance_hour"]["ml.t3.medium"]
    assert _components(on)["SageMaker notebook"] == pytest.approx(hourly * 730, abs=0.01)
    assert on.idle_total > off.idle_total
    assert off.idle_total < cost.reference_template_idle().idle_total / 4


def test_settings_change_the_estimate() -> None:
    base = cost.estimate(resolve({})).idle_total
    bigger_db = cost.estimate(resolve({"DatabaseInstanceClass": "db.m7g.large"})).idle_total
    warm = cost.estimate(resolve({"MinVCPUBatch": "4", "DesiredVCPUBatch": "4"}))
    assert bigger_db > base
    batch = [line for line in warm.lines if line.component == "Batch instances kept running"]
    c5_per_vcpu_hour = 0.085 / 2  # c5.large, the cheapest default type per vCPU
    assert len(batch) == 1 and batch[0].monthly == pytest.approx(4 * c5_per_vcpu_hour * 730, abs=0.01)
    fargate = cost.estimate(resolve({"BatchType": "fargate", "MinVCPUBatch": "4", "DesiredVCPUBatch": "4"}))
    assert not any(line.component.startswith("Batch") for line in fargate.lines)  # Fargate Batch never idles
    assert fargate.usage[0].item == "Batch compute (Fargate)"


def test_reference_template_is_close_to_its_quoted_figure() -> None:
    ref = cost.reference_template_idle()
    quoted = cost.price_table()["reference_template_defaults"]["quoted_idle_month"]
    assert abs(ref.idle_total - quoted) / quoted < 0.05


def test_every_price_has_an_https_source_and_the_table_is_dated() -> None:
    table = cost.price_table()
    assert table["compiled"] and table["region"] == "us-east-1"
    for kind in table["prices"]:
        assert cost.source_url(kind).startswith("https://aws.amazon.com/")


def test_resolver_evaluates_conditions_and_if() -> None:
    tpl = {
        "Parameters": {"A": {"Default": "x"}},
        "Conditions": {"IsX": {"Fn::Equals": [{"Ref": "A"}, "x"]}, "NotX": {"Fn::Not": [{"Condition": "IsX"}]}},
    }
    r = cost.Resolver(tpl, {})
    assert r.condition("IsX") and not r.condition("NotX")
    assert r.value({"Fn::If": ["IsX", {"Ref": "A"}, "y"]}) == "x"
    assert cost.Resolver(tpl, {"A": "z"}).value({"Fn::If": ["NotX", {"Ref": "AWS::NoValue"}, 1]}) is cost.NO_VALUE


def test_every_selectable_size_has_a_price() -> None:
    """A setting value the template accepts must never make `cost` or the deploy plan fail."""
    from mfstack.settings import by_name

    known = by_name()
    for value in known["DatabaseInstanceClass"].allowed:
        assert cost.estimate(resolve({"DatabaseInstanceClass": value})).idle_total > 0
    for value in known["SagemakerInstance"].allowed:
        est = cost.estimate(resolve({"EnableSagemaker": "true", "SagemakerInstance": value}))
        assert any(line.component == "SageMaker notebook" and line.monthly > 0 for line in est.lines)
    for itype in known["ComputeEnvInstanceTypes"].default.split(","):
        assert cost.cheapest_instance([itype], 64)[0] == itype
    odd = cost.estimate(resolve({"ComputeEnvInstanceTypes": "p9.huge", "MinVCPUBatch": "2", "DesiredVCPUBatch": "2"}))
    assert [line.basis for line in odd.lines if line.component.startswith("Batch")] == [
        "MinvCpus=2 on instance types without a price here"
    ]
