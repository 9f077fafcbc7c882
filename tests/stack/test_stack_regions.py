"""Defaults that name instance types exist in every region, per cfn-lint's region data.

cfn-lint ships, per region, the EC2 instance types and the RDS instance classes AWS offers
there (generated from the AWS pricing data). A default that a region lacks would make the
template fail there.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from mfstack import settings

EXTENSIONS = resources.files("cfnlint") / "data" / "schemas" / "extensions"


def _load(path: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXTENSIONS / path).read_text(encoding="utf-8"))
    return {region: spec for region, spec in data.items() if isinstance(spec, dict)}


def test_default_batch_instance_types_exist_in_every_region() -> None:
    by_region = _load("aws_ec2_instance/instancetype_enum.json")
    assert len(by_region) > 30 and "us-gov-west-1" in by_region
    wanted = settings.defaults()["ComputeEnvInstanceTypes"].split(",")
    missing = {region: [t for t in wanted if t not in spec["enum"]] for region, spec in by_region.items()}
    assert {r: m for r, m in missing.items() if m} == {}


def test_default_batch_instance_types_are_current_generation() -> None:
    families = {t.split(".")[0] for t in settings.defaults()["ComputeEnvInstanceTypes"].split(",")}
    previous_generation = {"c1", "c3", "c4", "m1", "m2", "m3", "m4", "t1", "t2", "r3", "r4"}
    assert not families & previous_generation


def test_default_database_class_exists_for_postgres_in_every_region() -> None:
    by_region = _load("aws_rds_dbinstance/dbinstanceclass_enum.json")
    default = settings.defaults()["DatabaseInstanceClass"]
    lacking = []
    for region, spec in by_region.items():
        for rule in spec.get("allOf", []):
            postgres = rule["if"]["properties"].get("Engine", {}).get("const") == "postgres"
            if postgres and default not in rule["then"]["properties"]["DBInstanceClass"]["enum"]:
                lacking.append(region)
    assert len(by_region) > 30 and lacking == []
