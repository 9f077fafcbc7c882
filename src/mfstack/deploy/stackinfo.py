"""What a deployed stack looks like now, and whether it can be deployed to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mfstack.aws import AwsContext, aws_errors, error_code, error_message, translate
from mfstack.errors import AwsError

MANAGED_TAG = "mfstack:managed"
# A stack made from the reference template carries this output; mfstack may update such a stack.
REFERENCE_OUTPUT = "MetaflowDataStoreS3Url"
SUCCESS_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
ROLLED_BACK_STATES = frozenset({"UPDATE_ROLLBACK_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"})
NEW_STACK_STATES = frozenset({"REVIEW_IN_PROGRESS"})


@dataclass(frozen=True)
class StackInfo:
    """A CloudFormation stack as `describe_stacks` reports it."""

    name: str
    stack_id: str
    status: str
    status_reason: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    drift_status: str = ""
    last_updated: datetime | None = None

    @property
    def managed(self) -> bool:
        """True when mfstack made this stack, or it was made from the reference Metaflow template."""
        return MANAGED_TAG in self.tags or REFERENCE_OUTPUT in self.outputs

    @property
    def in_progress(self) -> bool:
        """True while CloudFormation is working on the stack (it cannot take another operation)."""
        return self.status.endswith("_IN_PROGRESS") and self.status not in NEW_STACK_STATES


def from_description(desc: dict[str, Any]) -> StackInfo:
    """Build a StackInfo from one entry of `describe_stacks()['Stacks']`."""
    return StackInfo(
        name=desc["StackName"],
        stack_id=desc["StackId"],
        status=desc["StackStatus"],
        status_reason=desc.get("StackStatusReason") or "",
        outputs={o["OutputKey"]: o.get("OutputValue", "") for o in desc.get("Outputs") or []},
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in desc.get("Parameters") or []},
        tags={t["Key"]: t["Value"] for t in desc.get("Tags") or []},
        drift_status=(desc.get("DriftInformation") or {}).get("StackDriftStatus", ""),
        last_updated=desc.get("LastUpdatedTime") or desc.get("CreationTime"),
    )


def describe_stack(aws: AwsContext, name: str) -> StackInfo | None:
    """The stack called `name`, or None when there is none (deleted stacks count as none)."""
    cfn = aws.client("cloudformation")
    try:
        stacks = cfn.describe_stacks(StackName=name)["Stacks"]
    except Exception as exc:
        if error_code(exc) == "ValidationError" and "does not exist" in error_message(exc):
            return None
        raise translate(exc, f"describe the stack '{name}'") from exc
    live = [s for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"]
    return from_description(live[0]) if live else None


def require_stack(aws: AwsContext, name: str) -> StackInfo:
    """The stack called `name`; its absence is an AwsError that suggests the region."""
    info = describe_stack(aws, name)
    if info is None or info.status in NEW_STACK_STATES:
        raise AwsError(
            f"There is no stack named '{name}' in {aws.where()}.",
            hint="Check --stack-name and --region (a stack lives in one region), or create it with `mfstack deploy`.",
        )
    return info


def check_deployable(info: StackInfo) -> None:
    """Raise an AwsError saying what to do when `info` cannot take an update right now."""
    name = info.name
    if not info.managed:
        raise AwsError(
            f"The stack name '{name}' is taken by a stack that mfstack did not create (it has no '{MANAGED_TAG}' tag "
            "and no Metaflow outputs); mfstack will not touch it.",
            hint="Pick another name with --stack-name.",
        )
    if info.in_progress:
        raise AwsError(
            f"The stack '{name}' is busy ({info.status}): CloudFormation runs one operation at a time.",
            hint=f"Follow it with `mfstack status --stack-name {name}` and deploy again once it settles.",
        )
    if info.status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED"):
        raise AwsError(
            f"The stack '{name}' is in {info.status}: its creation failed and CloudFormation cannot update it.",
            hint=f"Delete it with `mfstack destroy --stack-name {name}` (data is kept), then run `mfstack deploy` again.",
        )
    if info.status == "UPDATE_ROLLBACK_FAILED":
        raise AwsError(
            f"The stack '{name}' is stuck in UPDATE_ROLLBACK_FAILED: a rollback could not finish.",
            hint=f"Fix the resource named in `mfstack status --stack-name {name}`, then run "
            f"`aws cloudformation continue-update-rollback --stack-name {name}` "
            "(add --resources-to-skip for a resource that cannot roll back) and deploy again.",
        )
    if info.status == "DELETE_FAILED":
        raise AwsError(
            f"The stack '{name}' is in DELETE_FAILED: a previous delete could not finish.",
            hint=f"Run `mfstack destroy --stack-name {name}` again once the resource named by `mfstack status` is fixed.",
        )


def stack_template(aws: AwsContext, name: str) -> dict[str, Any]:
    """The stack's current template as a dict (JSON or YAML bodies, CloudFormation tags tolerated)."""
    with aws_errors(f"read the template of the stack '{name}'"):
        body = aws.client("cloudformation").get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
    if isinstance(body, dict):
        return body
    from mfstack.deploy.template import load_template

    return load_template(str(body))
