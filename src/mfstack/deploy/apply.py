"""Applying a plan: execute the change set and follow the stack until it settles."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mfstack.aws import AwsContext, aws_errors
from mfstack.deploy.diagnose import RootCause, root_cause
from mfstack.deploy.events import StackEvent, Watch, baseline
from mfstack.deploy.plan import Plan
from mfstack.deploy.stackinfo import SUCCESS_STATES, StackInfo


@dataclass(frozen=True)
class DeployResult:
    """How a deploy ended: the stack's final state and, on failure, the root cause."""

    stack: StackInfo | None
    ok: bool
    cause: RootCause | None
    events: tuple[StackEvent, ...]

    @property
    def status(self) -> str:
        """The final stack status (DELETE_COMPLETE when a failed creation removed the stack)."""
        return self.stack.status if self.stack else "DELETE_COMPLETE"


@dataclass(frozen=True)
class ApplyOptions:
    """How to follow the operation."""

    on_event: Callable[[StackEvent], None] = lambda _e: None
    poll_seconds: float = 5.0
    sleep: Callable[[float], None] = time.sleep


def execute(aws: AwsContext, plan: Plan, opts: ApplyOptions | None = None) -> DeployResult:
    """Execute the plan's change set, stream its events, and report how it ended."""
    opts = opts or ApplyOptions()
    since, seen = baseline(aws, plan.stack_name)
    with aws_errors(f"execute the change set of the stack '{plan.stack_name}'"):
        aws.client("cloudformation").execute_change_set(ChangeSetName=plan.change_set_id)
    watch = Watch(
        aws, plan.stack_name, since, opts.on_event, poll_seconds=opts.poll_seconds, sleep=opts.sleep, seen=seen
    )
    final = watch.run()
    ok = final is not None and final.status in SUCCESS_STATES
    cause = None if ok else root_cause(watch.history)
    return DeployResult(final, ok, cause, tuple(watch.history))
