"""Rendering a stack operation as it happens: a rich live bar on a terminal, plain lines otherwise."""

from __future__ import annotations

from types import TracebackType

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from mfstack.cli.app import console
from mfstack.deploy.events import Progress as Tally
from mfstack.deploy.events import StackEvent
from mfstack.deploy.plan import Plan

KIND_STYLE = {"add": "green", "modify": "yellow", "replace": "bold red", "maybe-replace": "red", "remove": "bold red"}


def event_line(event: StackEvent) -> str:
    """One plain line for an event: time, resource, status, reason."""
    reason = f"  {event.reason}" if event.reason else ""
    return f"{event.timestamp:%H:%M:%S}  {event.logical_id:<32} {event.status}{reason}"


class EventView:
    """Context manager whose `on_event` shows progress: live on a TTY, a line per event otherwise."""

    def __init__(self, total: int, title: str) -> None:
        self.tally = Tally(total=max(total, 1))
        self.live = console.is_terminal
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self.task = self.bar.add_task(title, total=self.tally.total)
        self.title = title

    def __enter__(self) -> EventView:
        if self.live:
            self.bar.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.live:
            self.bar.stop()

    def on_event(self, event: StackEvent) -> None:
        """Record one event and show it."""
        self.tally.record(event)
        if not self.live:
            console.print(event_line(event), markup=False, highlight=False, soft_wrap=True)
            return
        if event.status.endswith("FAILED"):
            self.bar.console.print(Text(event_line(event), style="red"))
        done = min(len(self.tally.done), self.tally.total)
        self.bar.update(self.task, completed=done, description=f"{self.title}: {self.tally.current or '...'}")


def plan_table(plan: Plan) -> Table:
    """The plan as a table: one row per resource with its change."""
    table = Table(title=f"Plan for stack '{plan.stack_name}' ({plan.change_set_type.lower()})", title_justify="left")
    table.add_column("Change")
    table.add_column("Resource")
    table.add_column("Type")
    table.add_column("Why replaced")
    for change in sorted(plan.changes, key=lambda c: (c.kind, c.logical_id)):
        style = KIND_STYLE.get(change.kind, "")
        table.add_row(
            f"[{style}]{change.kind}[/]" if style else change.kind,
            change.logical_id,
            change.resource_type,
            ", ".join(change.causes),
        )
    return table


def outputs_table(outputs: dict[str, str]) -> Table:
    """The stack outputs, with the Metaflow setting each feeds."""
    from mfstack.stack.outputs import OUTPUTS

    keys = {o.name: o.metaflow_key or "" for o in OUTPUTS}
    table = Table(title="Stack outputs", title_justify="left")
    table.add_column("Output")
    table.add_column("Value", overflow="fold")
    table.add_column("Metaflow setting")
    for name in sorted(outputs):
        table.add_row(name, escape(outputs[name]), keys.get(name, ""))
    return table
