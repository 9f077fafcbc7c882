"""The one interface both stores (SQLite, PostgreSQL) implement, and the row shapes they answer.

Rows are plain dicts ready to encode as JSON, shaped like the reference service's answers: the
exposed run/task id is the user-given string id when there is one, else the integer id; steps,
tasks and artifacts carry the tags of their run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mfstack.service import jsonio
from mfstack.service.validate import ArtifactIn, MetadataIn, Owner, Ref

Row = dict[str, Any]


@dataclass(frozen=True)
class SchemaStatus:
    """Where the database schema stands against the migrations this service ships."""

    current: int
    latest: int
    pending: list[int]

    @property
    def up_to_date(self) -> bool:
        return not self.pending

    def as_json(self) -> Row:
        return {
            "is_up_to_date": self.up_to_date,
            "current_version": self.current,
            "latest_version": self.latest,
            "pending_versions": self.pending,
            "unapplied_versions": self.pending,
        }


class Store(Protocol):
    """Async access to the metadata tables. Missing parents raise `NotFound`, duplicates `Conflict`."""

    kind: str

    async def open(self, migrate: bool) -> SchemaStatus: ...
    async def close(self) -> None: ...
    async def schema_status(self) -> SchemaStatus: ...
    async def upgrade(self) -> SchemaStatus: ...

    async def list_flows(self) -> list[Row]: ...
    async def get_flow(self, flow: str) -> Row | None: ...
    async def create_flow(self, flow: str, who: Owner) -> Row: ...

    async def list_runs(self, flow: str) -> list[Row] | None: ...
    async def get_run(self, flow: str, run: Ref) -> Row | None: ...
    async def create_run(self, flow: str, run_id: str | None, who: Owner) -> Row: ...

    async def list_steps(self, flow: str, run: Ref) -> list[Row] | None: ...
    async def get_step(self, flow: str, run: Ref, step: str) -> Row | None: ...
    async def create_step(self, flow: str, run: Ref, step: str, who: Owner) -> Row: ...

    async def list_tasks(self, flow: str, run: Ref, step: str) -> list[Row] | None: ...
    async def get_task(self, flow: str, run: Ref, step: str, task: Ref) -> Row | None: ...
    async def create_task(self, flow: str, run: Ref, step: str, task_name: str | None, who: Owner) -> Row: ...

    async def add_metadata(self, flow: str, run: Ref, step: str, task: Ref, rows: Sequence[MetadataIn]) -> int: ...
    async def list_metadata(self, flow: str, run: Ref, step: str, task: Ref) -> list[Row] | None: ...
    async def metadata_values(
        self, flow: str, run: Ref, step: str, field: str | None
    ) -> list[tuple[Any, str]] | None: ...

    async def add_artifacts(self, flow: str, run: Ref, step: str, task: Ref, rows: Sequence[ArtifactIn]) -> int: ...
    async def list_artifacts(self, scope: ArtifactScope) -> list[Row] | None: ...

    async def heartbeat_run(self, flow: str, run: Ref, now_s: int) -> bool: ...
    async def heartbeat_task(self, flow: str, run: Ref, step: str, task: Ref, now_s: int) -> bool: ...
    async def mutate_run_tags(self, flow: str, run: Ref, add: list[str], remove: list[str]) -> list[str]: ...


@dataclass(frozen=True)
class ArtifactScope:
    """Which artifacts to list: a run, a step or a task; optionally one name and/or one attempt.

    Without `attempt`, only each task's latest attempt is listed (as the reference does).
    """

    flow: str
    run: Ref
    step: str | None = None
    task: Ref | None = None
    name: str | None = None
    attempt: int | None = None


def exposed(number: Any, string_id: Any) -> Any:
    """The id a client sees: the user-given string id when set, else the integer id."""
    return string_id if string_id else number


def tag_list(value: Any) -> list[str]:
    """Tags as stored (JSON text, a decoded list, or NULL) -> a list."""
    if value is None:
        return []
    if isinstance(value, str | bytes):
        decoded = jsonio.loads(value)
        return decoded if isinstance(decoded, list) else []
    return list(value)


def latest_attempts(rows: list[Row]) -> list[Row]:
    """Keep, per task, only the artifacts of its highest attempt."""
    top: dict[tuple[Any, ...], int] = {}
    for r in rows:
        key = (r["step_name"], r["task_id"])
        top[key] = max(top.get(key, -1), r["attempt_id"])
    return [r for r in rows if r["attempt_id"] == top[(r["step_name"], r["task_id"])]]
