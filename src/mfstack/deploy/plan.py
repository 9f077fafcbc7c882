"""The plan of a deploy: a CloudFormation change set, read back as one row per resource.

A new stack gets a CREATE change set, an existing one an UPDATE change set. "No changes" is a
normal outcome (`Plan.no_changes`), not an error.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mfstack.aws import AwsContext, aws_errors
from mfstack.deploy.stackinfo import MANAGED_TAG, NEW_STACK_STATES, check_deployable, describe_stack
from mfstack.deploy.template import declared_parameters, template_argument
from mfstack.errors import AwsError

CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND")
NO_CHANGE_MARKERS = ("didn't contain changes", "No updates are to be performed")
CHANGE_SET_TIMEOUT = 600.0


@dataclass(frozen=True)
class ResourceChange:
    """One resource in a change set."""

    logical_id: str
    resource_type: str
    action: str  # Add, Modify, Remove, Import, Dynamic
    replacement: str = ""  # True, False, Conditional (Modify only)
    causes: tuple[str, ...] = ()  # properties whose change forces the replacement
    physical_id: str = ""

    @property
    def kind(self) -> str:
        """add, modify, replace, maybe-replace or remove: what the plan table shows."""
        if self.action == "Modify" and self.replacement == "True":
            return "replace"
        if self.action == "Modify" and self.replacement == "Conditional":
            return "maybe-replace"
        return self.action.lower()


@dataclass(frozen=True)
class Plan:
    """A change set waiting to be executed (or discarded)."""

    stack_name: str
    change_set_id: str
    change_set_type: str  # CREATE or UPDATE
    changes: tuple[ResourceChange, ...]
    no_changes: bool = False

    def counts(self) -> dict[str, int]:
        """How many resources each kind of change touches."""
        out: dict[str, int] = {}
        for change in self.changes:
            out[change.kind] = out.get(change.kind, 0) + 1
        return out


@dataclass(frozen=True)
class PlanRequest:
    """What to deploy: the template body, parameter values and tags."""

    stack_name: str
    body: str
    parameters: Mapping[str, str]
    tags: Mapping[str, str]


def create_plan(aws: AwsContext, req: PlanRequest, sleep: Callable[[float], None] = time.sleep) -> Plan:
    """Create a change set for `req` and wait until CloudFormation has computed it."""
    existing = describe_stack(aws, req.stack_name)
    if existing is not None and existing.status not in NEW_STACK_STATES:
        check_deployable(existing)
    cs_type = "UPDATE" if existing is not None and existing.status not in NEW_STACK_STATES else "CREATE"
    declared = declared_parameters(req.body)
    params = [{"ParameterKey": k, "ParameterValue": v} for k, v in req.parameters.items() if k in declared]
    tags = [{"Key": k, "Value": v} for k, v in {**req.tags, MANAGED_TAG: "true"}.items()]
    cfn = aws.client("cloudformation")
    with aws_errors(f"create a change set for the stack '{req.stack_name}'"):
        created = cfn.create_change_set(
            StackName=req.stack_name,
            ChangeSetName=f"mfstack-{uuid.uuid4().hex[:12]}",
            ChangeSetType=cs_type,
            Parameters=params,
            Tags=tags,
            Capabilities=list(CAPABILITIES),
            **template_argument(aws, req.body, req.stack_name),
        )
    desc = _wait_for_change_set(aws, created["Id"], sleep)
    reason = desc.get("StatusReason") or ""
    if desc["Status"] == "FAILED":
        if any(m in reason for m in NO_CHANGE_MARKERS):
            return Plan(req.stack_name, created["Id"], cs_type, (), no_changes=True)
        raise AwsError(f"CloudFormation could not plan the deploy of '{req.stack_name}': {reason}")
    return Plan(req.stack_name, created["Id"], cs_type, tuple(_read_changes(aws, created["Id"], desc)))


def _wait_for_change_set(aws: AwsContext, cs_id: str, sleep: Callable[[float], None]) -> dict[str, Any]:
    cfn = aws.client("cloudformation")
    waited, delay = 0.0, 1.0
    while True:
        with aws_errors("read the change set"):
            desc: dict[str, Any] = cfn.describe_change_set(ChangeSetName=cs_id)
        if desc["Status"] in ("CREATE_COMPLETE", "FAILED"):
            return desc
        if waited >= CHANGE_SET_TIMEOUT:
            raise AwsError(f"CloudFormation did not finish computing the change set within {CHANGE_SET_TIMEOUT:.0f} s.")
        sleep(delay)
        waited += delay
        delay = min(delay * 2, 10.0)


def _read_changes(aws: AwsContext, cs_id: str, first: dict[str, Any]) -> list[ResourceChange]:
    pages = [first]
    token = first.get("NextToken")
    while token:
        with aws_errors("read the change set"):
            page = aws.client("cloudformation").describe_change_set(ChangeSetName=cs_id, NextToken=token)
        pages.append(page)
        token = page.get("NextToken")
    return [_change(c["ResourceChange"]) for p in pages for c in p.get("Changes", []) if c.get("Type") == "Resource"]


def _change(rc: dict[str, Any]) -> ResourceChange:
    causes = sorted(
        {
            str(d["Target"].get("Name") or d["Target"].get("Attribute"))
            for d in rc.get("Details") or []
            if d.get("Target", {}).get("RequiresRecreation") in ("Always", "Conditionally")
        }
    )
    return ResourceChange(
        logical_id=rc["LogicalResourceId"],
        resource_type=rc.get("ResourceType", ""),
        action=rc.get("Action", ""),
        replacement=rc.get("Replacement", ""),
        causes=tuple(causes),
        physical_id=rc.get("PhysicalResourceId", ""),
    )


def discard(aws: AwsContext, plan: Plan) -> None:
    """Delete the change set of a plan that will not be applied (and a never-created stack with it)."""
    cfn = aws.client("cloudformation")
    with aws_errors("discard the change set"):
        cfn.delete_change_set(ChangeSetName=plan.change_set_id)
        if plan.change_set_type == "CREATE":
            info = describe_stack(aws, plan.stack_name)
            if info is not None and info.status in NEW_STACK_STATES:
                cfn.delete_stack(StackName=plan.stack_name)
