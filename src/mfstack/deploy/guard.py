"""The data-loss guard: a plan may not replace or delete the resources that hold data.

The bucket, the database, its secret, the DynamoDB table, the log groups and the notebook's
disk hold what Metaflow users cannot recreate. A plan that would replace or remove one of them is refused unless the user passes
`--allow-data-loss`; the refusal names the resource and the properties forcing the replacement.
"""

from __future__ import annotations

from dataclasses import dataclass

from mfstack.deploy.plan import Plan, ResourceChange
from mfstack.errors import GuardError

STATEFUL_TYPES: dict[str, str] = {
    "AWS::S3::Bucket": "S3 bucket",
    "AWS::RDS::DBInstance": "database",
    "AWS::RDS::DBCluster": "database cluster",
    "AWS::SecretsManager::Secret": "database secret",
    "AWS::DynamoDB::Table": "DynamoDB table",
    "AWS::Logs::LogGroup": "log group",
    "AWS::SageMaker::NotebookInstance": "notebook instance, with the files on its disk",
}
DANGEROUS_KINDS = ("replace", "maybe-replace", "remove")


@dataclass(frozen=True)
class Finding:
    """A stateful resource the plan would replace or delete."""

    logical_id: str
    what: str
    kind: str
    causes: tuple[str, ...]

    def explain(self) -> str:
        """One sentence: which resource, what happens to it, and why."""
        if self.kind == "remove":
            return f"{self.logical_id} ({self.what}) would be deleted because the new template no longer has it"
        verb = "would be replaced" if self.kind == "replace" else "may be replaced"
        why = f" because {', '.join(self.causes)} cannot change in place" if self.causes else ""
        return f"{self.logical_id} ({self.what}) {verb}{why}"


def _finding(change: ResourceChange) -> Finding | None:
    what = STATEFUL_TYPES.get(change.resource_type)
    if what is None or change.kind not in DANGEROUS_KINDS:
        return None
    return Finding(change.logical_id, what, change.kind, change.causes)


def data_loss_findings(plan: Plan) -> list[Finding]:
    """Every stateful resource the plan would replace, possibly replace, or delete."""
    return [f for f in (_finding(c) for c in plan.changes) if f is not None]


def enforce(plan: Plan, allow_data_loss: bool) -> list[Finding]:
    """Raise GuardError for a data-losing plan unless `allow_data_loss`; return the findings."""
    findings = data_loss_findings(plan)
    if findings and not allow_data_loss:
        raise GuardError(
            "This deploy was stopped because it would lose data: " + "; ".join(f.explain() for f in findings) + ".",
            hint="Nothing was changed. Keep the old value of the setting that causes this, "
            "or pass --allow-data-loss if you have a backup and accept losing the data.",
        )
    return findings
