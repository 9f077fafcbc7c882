"""Stack events: polling new ones in order, and following a stack until it settles."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mfstack.aws import AwsContext, aws_errors
from mfstack.deploy.stackinfo import StackInfo, describe_stack
from mfstack.errors import AwsError

WATCH_TIMEOUT = 3 * 3600.0


@dataclass(frozen=True)
class StackEvent:
    """One line of a stack's event history."""

    event_id: str
    timestamp: datetime
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""

    @property
    def is_stack(self) -> bool:
        """True for events about the stack itself rather than one of its resources."""
        return self.resource_type == "AWS::CloudFormation::Stack" and not self.logical_id.startswith("Nested")


def _event(raw: dict[str, Any]) -> StackEvent:
    return StackEvent(
        event_id=raw["EventId"],
        timestamp=raw["Timestamp"],
        logical_id=raw.get("LogicalResourceId", ""),
        resource_type=raw.get("ResourceType", ""),
        status=raw.get("ResourceStatus", ""),
        reason=raw.get("ResourceStatusReason") or "",
    )


def recent_events(aws: AwsContext, stack: str, since: datetime | None = None, limit: int = 1000) -> list[StackEvent]:
    """Events of `stack` (newest pages first from AWS), returned oldest first, at most `limit`."""
    cfn = aws.client("cloudformation")
    out: list[StackEvent] = []
    kwargs: dict[str, str] = {"StackName": stack}
    with aws_errors(f"read the events of the stack '{stack}'"):
        while len(out) < limit:
            page = cfn.describe_stack_events(**kwargs)
            events = [_event(e) for e in page.get("StackEvents", [])]
            fresh = [e for e in events if since is None or e.timestamp >= since]
            out.extend(fresh)
            if len(fresh) < len(events) or not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
    return sorted(out[:limit], key=lambda e: e.timestamp)


def baseline(aws: AwsContext, stack: str) -> tuple[datetime, set[str]]:
    """Where the events of a new operation start, by AWS's clock (not ours): the newest existing
    event's time and the ids already there. A stack without events starts five minutes ago."""
    with aws_errors(f"read the events of the stack '{stack}'"):
        events = aws.client("cloudformation").describe_stack_events(StackName=stack).get("StackEvents", [])
    if not events:
        return datetime.now(UTC) - timedelta(minutes=5), set()
    return max(e["Timestamp"] for e in events), {e["EventId"] for e in events}


@dataclass
class Progress:
    """Live view of an operation: resources finished out of the total, the current one."""

    total: int
    started: float = field(default_factory=time.monotonic)
    done: set[str] = field(default_factory=set)
    current: str = ""

    def record(self, event: StackEvent) -> None:
        """Account for one event."""
        if event.is_stack:
            return
        self.current = event.logical_id
        if event.status.endswith("_COMPLETE") or event.status.endswith("_FAILED") or event.status == "DELETE_SKIPPED":
            self.done.add(event.logical_id)

    @property
    def elapsed(self) -> float:
        """Seconds since the operation started."""
        return time.monotonic() - self.started


def settled(info: StackInfo | None) -> bool:
    """True when the stack is gone or no operation is running on it."""
    return info is None or not info.status.endswith("_IN_PROGRESS")


@dataclass
class Watch:
    """Follow a stack until it settles, calling `on_event` for each new event (oldest first)."""

    aws: AwsContext
    stack: str
    since: datetime
    on_event: Callable[[StackEvent], None]
    poll_seconds: float = 5.0
    timeout: float = WATCH_TIMEOUT
    sleep: Callable[[float], None] = time.sleep
    seen: set[str] = field(default_factory=set)
    history: list[StackEvent] = field(default_factory=list)
    stack_id_or_name: str = ""

    def poll(self) -> None:
        """Fetch and report events not seen yet."""
        for event in recent_events(self.aws, self.stack_id_or_name, self.since):
            if event.event_id not in self.seen:
                self.seen.add(event.event_id)
                self.history.append(event)
                self.on_event(event)

    def run(self) -> StackInfo | None:
        """Poll until the stack settles; return its final state (None once deleted)."""
        self.stack_id_or_name = self.stack_id_or_name or self.stack
        waited = 0.0
        while True:
            info = describe_stack(self.aws, self.stack_id_or_name)
            if info is not None:
                self.stack_id_or_name = info.stack_id
            self.poll()
            if settled(info):
                return info
            if waited >= self.timeout:
                raise AwsError(f"The stack '{self.stack}' did not settle within {self.timeout / 3600:.0f} h.")
            self.sleep(self.poll_seconds)
            waited += self.poll_seconds
