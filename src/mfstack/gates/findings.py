"""Findings as data, and the entry point that runs every gate on one synthesized template."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from mfstack.errors import MfstackError

LINT_MODULES = {"cfnlint": "cfn-lint", "checkov": "checkov", "parliament": "parliament"}
PARTITION_REGIONS = {"aws": "us-east-1", "aws-us-gov": "us-gov-west-1", "aws-cn": "cn-north-1"}


@dataclass(frozen=True)
class Finding:
    """One problem a gate found: which gate, how bad, which rule, where, and what."""

    gate: str
    severity: str
    rule: str
    resource: str
    message: str


@dataclass
class GateReport:
    """Every gate's findings for one template, plus what was skipped or allowed (and why)."""

    findings: list[Finding] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        """True when no gate reported anything."""
        return not self.findings


def require_lint_extra() -> None:
    """Raise a clear error when the gate libraries are not installed."""
    missing = []
    for module, package in LINT_MODULES.items():
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(package)
    if missing:
        raise MfstackError(
            f"mfstack lint needs {', '.join(missing)}, not installed in this Python environment.",
            hint='Install the lint extra: pip install "mfstack[lint]"',
        )


def region_for(values: Mapping[str, str]) -> str:
    """The region a template for these settings is linted for (one of its partition)."""
    return PARTITION_REGIONS.get(values.get("IAMPartition", "aws"), "us-east-1")


def template_defaults(template_text: str) -> dict[str, str]:
    """Parameter defaults of a template file (for linting a template mfstack did not synthesize)."""
    require_lint_extra()
    from cfnlint.decode import decode_str

    template, problems = decode_str(template_text)
    if template is None or not isinstance(template.get("Resources"), dict):
        detail = "; ".join(str(p.message) for p in problems or [])[:300] or "it has no Resources section"
        raise MfstackError(f"This is not a CloudFormation template: {detail}.")
    params = template.get("Parameters") or {}
    return {name: str(spec.get("Default", "")) for name, spec in params.items() if isinstance(spec, dict)}


def run_gates(template_text: str, values: Mapping[str, str]) -> GateReport:
    """Run cfn-lint, checkov and parliament on a template synthesized from `values`."""
    require_lint_extra()
    from mfstack.gates import cfn, checks, iam

    report = GateReport()
    for name, (found, skipped) in (
        ("cfn-lint", (cfn.lint(template_text, region_for(values)), [])),
        ("checkov", checks.scan(template_text)),
        ("parliament", iam.audit(template_text, values)),
    ):
        report.findings.extend(found)
        report.skipped.extend(skipped)
        report.counts[name] = len(found)
    return report
