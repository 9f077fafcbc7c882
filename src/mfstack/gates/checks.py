"""checkov gate: the cloudformation framework run offline on the template file.

A check skipped in a resource's own `Metadata.checkov.skip` (with its reason) is reported as
skipped, not failed; every other failed check is a finding.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from checkov.cloudformation.runner import Runner
from checkov.runner_filter import RunnerFilter

from mfstack.gates.findings import Finding

GATE = "checkov"


def scan(template_text: str) -> tuple[list[Finding], list[Finding]]:
    """(failed, skipped) checkov checks of the template."""
    logging.getLogger("checkov").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="mfstack-checkov-") as tmp:
        path = Path(tmp) / "template.yaml"
        path.write_text(template_text, encoding="utf-8")
        report = Runner().run(
            root_folder=None,
            files=[str(path)],
            runner_filter=RunnerFilter(framework=["cloudformation"], download_external_modules=False),
        )
    reports = report if isinstance(report, list) else [report]
    failed = [_finding(r, "failed", r.check_name or "") for rep in reports for r in rep.failed_checks]
    skipped = [
        _finding(r, "skipped", str((r.check_result or {}).get("suppress_comment", "")))
        for rep in reports
        for r in rep.skipped_checks
    ]
    return failed, skipped


def _finding(record: object, severity: str, message: str) -> Finding:
    return Finding(
        gate=GATE,
        severity=severity,
        rule=str(getattr(record, "check_id", "")),
        resource=str(getattr(record, "resource", "")),
        message=message,
    )
