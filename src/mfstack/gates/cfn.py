"""cfn-lint gate: the template linted as a library, every error and warning a finding."""

from __future__ import annotations

from cfnlint.api import ManualArgs
from cfnlint.api import lint as cfn_lint

from mfstack.gates.findings import Finding

SEVERITY = {"E": "error", "W": "warning", "I": "info"}


def lint(template_text: str, region: str) -> list[Finding]:
    """cfn-lint findings (errors and warnings) for the template in `region`."""
    matches = cfn_lint(template_text, config=ManualArgs(regions=[region]))
    return [
        Finding(
            gate="cfn-lint",
            severity=SEVERITY.get(m.rule.id[:1], "error"),
            rule=m.rule.id,
            resource="/".join(str(p) for p in m.path[:2]) if m.path else "",
            message=m.message,
        )
        for m in matches
    ]
