"""The parameter matrix the gates run over: every condition of the template, switched both ways.

Six two-valued axes switch every condition. `ROWS` is a pairwise covering array: every value of
every axis appears, and so does every combination of values of any two axes (`pairs_covered`).
Six templates instead of 64 keep a gate run short while still exercising each interaction of
two conditions (e.g. notebook on with auth off, user role on with Fargate, GovCloud with each).
"""

from __future__ import annotations

import itertools

AXES: dict[str, tuple[str, str]] = {
    "APIBasicAuth": ("true", "false"),
    "CustomRole": ("false", "true"),
    "EnableSagemaker": ("false", "true"),
    "BatchType": ("ec2", "fargate"),
    "IAMPartition": ("aws", "aws-us-gov"),
    "AdditionalWorkerPolicyArn": ("", "arn:aws:iam::123456789012:policy/metaflow-extra"),
}

ROWS: tuple[tuple[int, ...], ...] = (
    (0, 0, 0, 0, 0, 0),
    (1, 1, 1, 1, 1, 0),
    (0, 0, 1, 1, 1, 0),
    (1, 1, 0, 0, 1, 1),
    (0, 1, 0, 1, 0, 1),
    (1, 0, 1, 0, 0, 1),
)


def combination(row: tuple[int, ...]) -> dict[str, str]:
    """The setting overrides of one matrix row."""
    return {axis: values[i] for (axis, values), i in zip(AXES.items(), row, strict=True)}


MATRIX: tuple[dict[str, str], ...] = tuple(combination(row) for row in ROWS)


SHORT = {
    "APIBasicAuth": "auth",
    "CustomRole": "role",
    "EnableSagemaker": "notebook",
    "BatchType": "batch",
    "IAMPartition": "partition",
    "AdditionalWorkerPolicyArn": "extra-policy",
}


def label(overrides: dict[str, str]) -> str:
    """A short name for a combination, e.g. `auth=true,role=false,...,extra-policy=no`."""
    parts = []
    for name, value in overrides.items():
        shown = ("yes" if value else "no") if name == "AdditionalWorkerPolicyArn" else value
        parts.append(f"{SHORT.get(name, name)}={shown}")
    return ",".join(parts)


def pairs_covered(rows: tuple[tuple[int, ...], ...]) -> bool:
    """Whether every pair of values of every two axes appears in some row."""
    width = len(rows[0])
    return all(
        {(r[i], r[j]) for r in rows} == {(a, b) for a in (0, 1) for b in (0, 1)}
        for i, j in itertools.combinations(range(width), 2)
    )
