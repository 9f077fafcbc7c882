"""The root cause of a failed deploy: the first resource that failed, not the cascade after it.

When one resource fails, CloudFormation cancels the others ("Resource creation cancelled") and
rolls back, which floods the event list. The cause is the earliest resource failure whose
reason is not a cancellation; stack-level events are used only when no resource failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mfstack.deploy.events import StackEvent

CASCADE_MARKERS = (
    "Resource creation cancelled",
    "Resource update cancelled",
    "Resource deletion cancelled",
    "cancelled",
    "The following resource(s) failed",
)


@dataclass(frozen=True)
class RootCause:
    """The resource that made an operation fail, and AWS's reason."""

    logical_id: str
    resource_type: str
    status: str
    reason: str
    also_failed: tuple[str, ...] = ()

    def describe(self) -> str:
        """One sentence for the user."""
        return f"{self.logical_id} ({self.resource_type}) {self.status}: {self.reason or 'no reason given by AWS'}"


def _is_cascade(event: StackEvent) -> bool:
    return any(marker in event.reason for marker in CASCADE_MARKERS)


def root_cause(events: Sequence[StackEvent]) -> RootCause | None:
    """The first real failure among `events` (any order), or None if nothing failed."""
    ordered = sorted(events, key=lambda e: e.timestamp)
    failed = [e for e in ordered if e.status.endswith("_FAILED")]
    resources = [e for e in failed if not e.is_stack]
    real = [e for e in resources if not _is_cascade(e)]
    candidates = real or resources or [e for e in failed if e.reason]
    if not candidates:
        candidates = [e for e in ordered if e.is_stack and "ROLLBACK" in e.status and e.reason]
    if not candidates:
        return None
    pick = candidates[0]
    others = tuple(dict.fromkeys(e.logical_id for e in resources if e.logical_id != pick.logical_id))
    return RootCause(pick.logical_id, pick.resource_type, pick.status, pick.reason, others)
