"""Quality gates over a synthesized template: cfn-lint, checkov and parliament, as library calls.

Each gate returns findings as data (`Finding`); `run_gates` runs all three for one set of
settings. The gates need the `lint` extra (`pip install "mfstack[lint]"`); without it
`require_lint_extra` raises a clear `MfstackError`.
"""

from __future__ import annotations

from mfstack.gates.findings import Finding, GateReport, require_lint_extra, run_gates, template_defaults

__all__ = ["Finding", "GateReport", "require_lint_extra", "run_gates", "template_defaults"]
