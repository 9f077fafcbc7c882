"""Monthly cost of a stack: idle (what runs with no flow running) and per unit of use.

The estimate reads the synthesized template itself (resources, their sizes, conditions evaluated
for the given settings), prices it with the committed, dated table `data/prices-us-east-1.json`
(us-east-1 on-demand, one source URL per price), and so always matches what `deploy` creates.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from mfstack.errors import MfstackError

PRICE_FILE = "prices-us-east-1.json"
NO_VALUE = object()


@dataclass(frozen=True)
class CostLine:
    """One idle cost: a component, the resource behind it, its monthly price and how it was computed."""

    component: str
    resource: str
    monthly: float
    basis: str


@dataclass(frozen=True)
class UsagePrice:
    """A price paid only when the stack is used."""

    item: str
    price: float
    unit: str
    source: str


@dataclass(frozen=True)
class CostEstimate:
    """Idle lines, their total, and the per-use prices."""

    lines: tuple[CostLine, ...]
    usage: tuple[UsagePrice, ...]
    compiled: str

    @property
    def idle_total(self) -> float:
        """Monthly cost with nothing running."""
        return round(sum(line.monthly for line in self.lines), 2)


@cache
def price_table() -> dict[str, Any]:
    """The committed price table."""
    text = resources.files("mfstack").joinpath("data", PRICE_FILE).read_text()
    return dict(json.loads(text))


def _price(kind: str, key: str) -> float:
    table = price_table()["prices"][kind]
    if key not in table:
        known = ", ".join(k for k in table if k != "source")
        raise MfstackError(f"The price table {PRICE_FILE} has no {kind} price for '{key}' (it has: {known}).")
    return float(table[key])


def source_url(kind: str) -> str:
    """The page a price of `kind` comes from."""
    table = price_table()
    return str(table["sources"][table["prices"][kind]["source"]])


class Resolver:
    """Evaluates the few intrinsic functions that decide sizes: Ref to a parameter, Fn::If, conditions."""

    def __init__(self, template: Mapping[str, Any], values: Mapping[str, str]) -> None:
        defaults = {k: str(p.get("Default", "")) for k, p in (template.get("Parameters") or {}).items()}
        self.params = {**defaults, **values}
        self.conditions: dict[str, Any] = dict(template.get("Conditions") or {})

    def value(self, node: Any) -> Any:
        """The literal value of `node`, NO_VALUE for AWS::NoValue, None when it is not static."""
        if not isinstance(node, dict):
            return node
        if "Ref" in node:
            ref = node["Ref"]
            return NO_VALUE if ref == "AWS::NoValue" else self.params.get(ref)
        if "Fn::If" in node:
            cond, yes, no = node["Fn::If"]
            return self.value(yes if self.condition(cond) else no)
        if "Fn::Split" in node:
            sep, inner = node["Fn::Split"]
            text = self.value(inner)
            return text.split(sep) if isinstance(text, str) else None
        return None

    def condition(self, name_or_node: Any) -> bool:
        """Truth of a named condition or a condition expression."""
        node = self.conditions.get(name_or_node, name_or_node) if isinstance(name_or_node, str) else name_or_node
        if isinstance(node, dict) and "Condition" in node:
            return self.condition(node["Condition"])
        if isinstance(node, dict) and "Fn::Equals" in node:
            left, right = (self.value(v) for v in node["Fn::Equals"])
            return str(left) == str(right)
        if isinstance(node, dict) and "Fn::Not" in node:
            return not self.condition(node["Fn::Not"][0])
        if isinstance(node, dict) and "Fn::And" in node:
            return all(self.condition(c) for c in node["Fn::And"])
        if isinstance(node, dict) and "Fn::Or" in node:
            return any(self.condition(c) for c in node["Fn::Or"])
        return bool(node)


def _num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


HOURS = 730.0
Pricer = Callable[[str, dict[str, Any], Resolver, Mapping[str, Any]], list[CostLine]]


def _rds(lid: str, props: dict[str, Any], r: Resolver, _all: Mapping[str, Any]) -> list[CostLine]:
    cls = str(r.value(props.get("DBInstanceClass")))
    storage_type = str(r.value(props.get("StorageType")) or "gp2")
    gb = _num(r.value(props.get("AllocatedStorage")), 20)
    copies = 2 if str(r.value(props.get("MultiAZ"))).lower() == "true" else 1
    inst = _price("rds_instance_hour", cls) * HOURS * copies
    disk = _price("rds_storage_gb_month", storage_type) * gb * copies
    return [
        CostLine("metadata database", lid, inst, f"{cls} x {copies}, {HOURS:.0f} h"),
        CostLine("metadata database storage", lid, disk, f"{gb:.0f} GB {storage_type}"),
    ]


def _ecs_service(lid: str, props: dict[str, Any], r: Resolver, all_: Mapping[str, Any]) -> list[CostLine]:
    if r.value(props.get("LaunchType")) != "FARGATE":
        return []
    task_ref = props.get("TaskDefinition")
    task = all_.get(task_ref["Ref"], {}) if isinstance(task_ref, dict) and "Ref" in task_ref else {}
    tprops = task.get("Properties", {})
    count = _num(r.value(props.get("DesiredCount")), 1)
    vcpu, gb = _num(r.value(tprops.get("Cpu")), 256) / 1024, _num(r.value(tprops.get("Memory")), 512) / 1024
    hourly = vcpu * _price("fargate_vcpu_hour", "x86_64") + gb * _price("fargate_gb_hour", "x86_64")
    lines = [
        CostLine(
            "metadata service (Fargate)", lid, hourly * HOURS * count, f"{count:.0f} task x {vcpu:g} vCPU, {gb:g} GB"
        )
    ]
    net = props.get("NetworkConfiguration", {}).get("AwsvpcConfiguration", {})
    if r.value(net.get("AssignPublicIp")) == "ENABLED":
        lines.append(
            CostLine(
                "public IPv4 addresses",
                lid,
                _price("public_ipv4_hour", "address") * HOURS * count,
                f"{count:.0f} address",
            )
        )
    return lines


def _load_balancer(lid: str, props: dict[str, Any], r: Resolver, _all: Mapping[str, Any]) -> list[CostLine]:
    kind = str(r.value(props.get("Type")) or "application")
    return [
        CostLine(
            f"{kind} load balancer",
            lid,
            _price("load_balancer_hour", kind) * HOURS,
            "hourly charge; capacity units are per use",
        )
    ]


def _secret(lid: str, _p: dict[str, Any], _r: Resolver, _all: Mapping[str, Any]) -> list[CostLine]:
    return [CostLine("secrets", lid, _price("secret_month", "secret"), "1 secret")]


def _notebook(lid: str, props: dict[str, Any], r: Resolver, _all: Mapping[str, Any]) -> list[CostLine]:
    itype = str(r.value(props.get("InstanceType")))
    gb = _num(r.value(props.get("VolumeSizeInGB")), 5)
    return [
        CostLine("SageMaker notebook", lid, _price("notebook_instance_hour", itype) * HOURS, f"{itype}, {HOURS:.0f} h"),
        CostLine("SageMaker notebook storage", lid, _price("ml_storage_gb_month", "gp2") * gb, f"{gb:.0f} GB"),
    ]


def cheapest_instance(types: list[str], vcpus: float) -> tuple[str, float]:
    """The priced instance type with the lowest cost per vCPU among those not larger than `vcpus`."""
    priced = [t for t in types if t in price_table()["prices"]["ec2_vcpus"]]
    if not priced:
        return "", 0.0
    fitting = [t for t in priced if _num(_price("ec2_vcpus", t)) <= max(vcpus, 2)] or priced
    best = min(fitting, key=lambda t: _price("ec2_instance_hour", t) / _price("ec2_vcpus", t))
    return best, _price("ec2_instance_hour", best) / _price("ec2_vcpus", best)


def _batch(lid: str, props: dict[str, Any], r: Resolver, _all: Mapping[str, Any]) -> list[CostLine]:
    res = props.get("ComputeResources", {})
    min_vcpus = r.value(res.get("MinvCpus"))
    if r.value(res.get("Type")) != "EC2" or min_vcpus in (None, NO_VALUE) or _num(min_vcpus) <= 0:
        return []
    types = r.value(res.get("InstanceTypes"))
    itype, per_vcpu = cheapest_instance(list(types) if isinstance(types, list) else [], _num(min_vcpus))
    vcpus = _num(min_vcpus)
    if not itype:
        return [
            CostLine(
                "Batch instances kept running", lid, 0.0, f"MinvCpus={vcpus:.0f} on instance types without a price here"
            )
        ]
    instances = math.ceil(vcpus / _price("ec2_vcpus", itype)) if itype else 0
    return [
        CostLine("Batch instances kept running", lid, per_vcpu * vcpus * HOURS, f"MinvCpus={vcpus:.0f} on {itype}"),
        CostLine(
            "public IPv4 addresses",
            lid,
            _price("public_ipv4_hour", "address") * HOURS * instances,
            f"{instances} instance",
        ),
    ]


def _nat(lid: str, _p: dict[str, Any], _r: Resolver, _all: Mapping[str, Any]) -> list[CostLine]:
    hourly = _price("nat_gateway_hour", "gateway") + _price("public_ipv4_hour", "address")
    return [CostLine("NAT gateway", lid, hourly * HOURS, "hourly charge and its address; data processed is per use")]


def _endpoint(lid: str, props: dict[str, Any], r: Resolver, _all: Mapping[str, Any]) -> list[CostLine]:
    if r.value(props.get("VpcEndpointType")) != "Interface":
        return []
    azs = len(props.get("SubnetIds") or [None])
    return [
        CostLine("interface VPC endpoint", lid, _price("interface_endpoint_hour", "per_az") * HOURS * azs, f"{azs} AZ")
    ]


def _kms(lid: str, _p: dict[str, Any], _r: Resolver, _all: Mapping[str, Any]) -> list[CostLine]:
    return [CostLine("KMS key", lid, _price("kms_key_month", "key"), "1 key")]


PRICERS: dict[str, Pricer] = {
    "AWS::RDS::DBInstance": _rds,
    "AWS::ECS::Service": _ecs_service,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _load_balancer,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::SageMaker::NotebookInstance": _notebook,
    "AWS::Batch::ComputeEnvironment": _batch,
    "AWS::EC2::NatGateway": _nat,
    "AWS::EC2::VPCEndpoint": _endpoint,
    "AWS::KMS::Key": _kms,
}


def idle_lines(template: Mapping[str, Any], values: Mapping[str, str]) -> list[CostLine]:
    """Idle monthly cost of every resource the template creates for `values`."""
    r = Resolver(template, values)
    res: Mapping[str, Any] = template.get("Resources") or {}
    lines: list[CostLine] = []
    for lid, resource in res.items():
        pricer = PRICERS.get(resource.get("Type", ""))
        if pricer is None or ("Condition" in resource and not r.condition(resource["Condition"])):
            continue
        lines.extend(pricer(lid, resource.get("Properties") or {}, r, res))
    return [CostLine(c.component, c.resource, round(c.monthly, 2), c.basis) for c in lines]


def usage_prices(values: Mapping[str, str]) -> list[UsagePrice]:
    """What using the stack costs per unit (Batch compute, storage, requests, logs)."""
    if values.get("BatchType") == "fargate":
        vcpu = UsagePrice(
            "Batch compute (Fargate)",
            _price("fargate_vcpu_hour", "x86_64"),
            "vCPU-hour (+ memory)",
            source_url("fargate_vcpu_hour"),
        )
    else:
        itype, per_vcpu = cheapest_instance(values.get("ComputeEnvInstanceTypes", "").split(","), 4096)
        vcpu = UsagePrice(
            f"Batch compute (EC2, {itype or 'unpriced types'})",
            round(per_vcpu, 4),
            "vCPU-hour",
            source_url("ec2_instance_hour"),
        )
    return [
        vcpu,
        UsagePrice("S3 storage", _price("s3_gb_month", "standard"), "GB-month", source_url("s3_gb_month")),
        UsagePrice(
            "S3 writes", _price("s3_thousand_puts", "standard"), "1,000 PUT requests", source_url("s3_thousand_puts")
        ),
        UsagePrice(
            "metadata API calls",
            _price("apigateway_million_requests", "rest"),
            "million requests",
            source_url("apigateway_million_requests"),
        ),
        UsagePrice(
            "DynamoDB (foreach state)",
            _price("dynamodb_million_writes", "on_demand"),
            "million writes",
            source_url("dynamodb_million_writes"),
        ),
        UsagePrice(
            "CloudWatch Logs", _price("logs_gb_ingested", "standard"), "GB ingested", source_url("logs_gb_ingested")
        ),
    ]


def estimate_template(template: Mapping[str, Any], values: Mapping[str, str]) -> CostEstimate:
    """Cost of `template` deployed with `values`."""
    return CostEstimate(
        tuple(idle_lines(template, values)), tuple(usage_prices(values)), str(price_table()["compiled"])
    )


def estimate(values: Mapping[str, str]) -> CostEstimate:
    """Cost of mfstack's own template for resolved settings `values`."""
    from mfstack.stack import build_template

    return estimate_template(build_template(values).to_dict(), values)


def reference_template_idle() -> CostEstimate:
    """Idle cost of the reference template at its defaults, priced with the same table."""
    task = {"Type": "AWS::ECS::TaskDefinition", "Properties": {"Cpu": "512", "Memory": "1024"}}
    network = {"AwsvpcConfiguration": {"AssignPublicIp": "ENABLED"}}
    types = ["c4.large", "c4.xlarge", "c4.2xlarge", "c4.4xlarge", "c4.8xlarge"]
    compute = {"Type": "EC2", "MinvCpus": 8, "InstanceTypes": types}
    template = {
        "Resources": {
            "ComputeEnvironment": {
                "Type": "AWS::Batch::ComputeEnvironment",
                "Properties": {"ComputeResources": compute},
            },
            "TaskDefinition": task,
            "ECSFargateService": {
                "Type": "AWS::ECS::Service",
                "Properties": {
                    "LaunchType": "FARGATE",
                    "DesiredCount": 1,
                    "TaskDefinition": {"Ref": "TaskDefinition"},
                    "NetworkConfiguration": network,
                },
            },
            "NLB": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {"Type": "network"}},
            "RDSMasterInstance": {
                "Type": "AWS::RDS::DBInstance",
                "Properties": {"DBInstanceClass": "db.t2.small", "AllocatedStorage": 20, "StorageType": "gp2"},
            },
            "MyRDSSecret": {"Type": "AWS::SecretsManager::Secret"},
            "RandomString": {"Type": "AWS::SecretsManager::Secret"},
            "SageMakerNotebookInstance": {
                "Type": "AWS::SageMaker::NotebookInstance",
                "Properties": {"InstanceType": "ml.t2.xlarge"},
            },
        }
    }
    return estimate_template(template, {"BatchType": "ec2", "ComputeEnvInstanceTypes": ",".join(types)})
