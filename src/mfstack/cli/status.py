"""`mfstack status`: the state of the stack (or of the local stack), its last events and outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from mfstack.cli.app import app, console
from mfstack.cli.options import (
    EndpointUrl,
    Profile,
    Region,
    StackName,
    cloud_options_given,
    cloud_target,
)
from mfstack.cli.progress import event_line, outputs_table
from mfstack.deploy.diagnose import root_cause
from mfstack.deploy.events import recent_events
from mfstack.deploy.stackinfo import SUCCESS_STATES, require_stack

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Target the local stack in this folder instead of a cloud stack.", file_okay=False),
]


def local_dispatch(data_dir: Path | None, *cloud_values: str | None) -> Path | None:
    """The local stack's folder when it is the target (see `mfstack up`), else None."""
    try:
        from mfstack.cli import local as local_cli
    except ImportError:
        return None
    return local_cli.local_target(data_dir, cloud_options_given(*cloud_values))


@app.command()
def status(
    events: Annotated[int, typer.Option("--events", min=0, max=500, help="How many recent events to show.")] = 10,
    data_dir: DataDir = None,
    stack_name: StackName = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> int:
    """Show the stack's state, its last events, drift status if known, and its outputs."""
    local_dir = local_dispatch(data_dir, stack_name, region, profile, endpoint_url)
    if local_dir is not None:
        from mfstack.cli import local as local_cli

        return int(local_cli.show_local_status(local_dir))
    target = cloud_target(stack_name, region, profile, endpoint_url)
    info = require_stack(target.aws, target.stack_name)
    table = Table(show_header=False, box=None)
    table.add_row("Stack", info.name)
    table.add_row("Status", escape(info.status + (f" ({info.status_reason})" if info.status_reason else "")))
    table.add_row("Drift", info.drift_status or "not checked")
    table.add_row("Last change", f"{info.last_updated:%Y-%m-%d %H:%M:%S %Z}" if info.last_updated else "?")
    table.add_row("Region", target.aws.where())
    console.print(table)
    history = recent_events(target.aws, info.stack_id, limit=max(events, 200))
    if events:
        console.print(f"Last {min(events, len(history))} events:")
        for event in history[-events:]:
            console.print("  " + event_line(event), markup=False, highlight=False, soft_wrap=True)
    ok = info.status in SUCCESS_STATES
    cause = None if ok else root_cause(history)
    if cause is not None:
        console.print(f"[red]Root cause of the last failure:[/] {escape(cause.describe())}", highlight=False)
    if info.outputs:
        console.print(outputs_table(info.outputs))
    return 0 if ok or info.in_progress else 1
