"""Shared helpers of the stack tests: the parameter matrix and synthesized templates as data."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from mfstack import settings
from mfstack.stack import build_template, render


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
