"""Shared helpers of the stack tests: the parameter matrix and synthesized templates as data."""

from __future__ import annotations

import copy
import itertools
import json
from functools import cache
from typing import Any

from mfstack import settings
from mfstack.stack import build_template, render

# Every condition of the template is switched by one of these axes.
AXES: dict[str, tuple[str, str]] = {
    "APIBasicAuth": ("true", "false"),
    "CustomRole": ("false", "true"),
    "EnableSagemaker": ("false", "true"),
    "BatchType": ("ec2", "fargate"),
    "IAMPartition": ("aws", "aws-us-gov"),
}

# A pairwise covering array over the five two-valued axes: every value of every axis appears,
# and so does every combination of values of any two axes (checked by a test). Six templates
# instead of 32 keep the gate run short while still exercising each interaction of two
# conditions (e.g. notebook on with auth off, user role on with Fargate, GovCloud with each).
ROWS: tuple[tuple[int, ...], ...] = (
    (0, 0, 0, 0, 0),
    (1, 1, 1, 1, 1),
    (0, 0, 1, 1, 1),
    (1, 1, 0, 0, 1),
    (0, 1, 0, 1, 0),
    (1, 0, 1, 0, 0),
)


def combination(row: tuple[int, ...]) -> dict[str, str]:
    """The setting overrides of one matrix row."""
    return {axis: values[i] for (axis, values), i in zip(AXES.items(), row, strict=True)}


MATRIX: tuple[dict[str, str], ...] = tuple(combination(row) for row in ROWS)


def label(overrides: dict[str, str]) -> str:
    """A short test id for a combination."""
    return ",".join(f"{k}={v}" for k, v in overrides.items())


def pairs_covered(rows: tuple[tuple[int, ...], ...]) -> bool:
    """Whether every pair of values of every two axes appears in some row."""
    width = len(rows[0])
    return all(
        {(r[i], r[j]) for r in rows} == {(a, b) for a in (0, 1) for b in (0, 1)}
        for i, j in itertools.combinations(range(width), 2)
    )


@cache
def synthesized(key: tuple[tuple[str, str], ...] = ()) -> tuple[dict[str, str], str]:
    """(resolved values, YAML text) of the template for these overrides; synthesized once."""
    values = settings.resolve(dict(key))
    return values, render(build_template(values), "yaml")


@cache
def template_dict(key: tuple[tuple[str, str], ...] = ()) -> dict[str, Any]:
    """The template for these overrides as a JSON dict."""
    values = settings.resolve(dict(key))
    data: dict[str, Any] = json.loads(render(build_template(values), "json"))
    return data


def walk(node: Any) -> Any:
    """Every dict and list inside `node`, depth first."""
    yield node
    if isinstance(node, dict):
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def declared_skips(template: dict[str, Any]) -> set[tuple[str, str]]:
    """(check id, resource logical id) of every skip in the resources' Metadata."""
    out = set()
    for name, resource in template["Resources"].items():
        for entry in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            out.add((entry["id"], name))
    return out


def without_skips(template: dict[str, Any]) -> dict[str, Any]:
    """A copy of the template with every checkov skip removed."""
    bare = copy.deepcopy(template)
    for resource in bare["Resources"].values():
        resource.get("Metadata", {}).pop("checkov", None)
    return bare
