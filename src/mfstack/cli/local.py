"""`mfstack up`, `down`, `logs`, `run`, `shell`, `notebook`: the local stack, no AWS account needed.

`status` and `doctor` are registered by their own modules; they call `local_target`,
`show_local_status` and `run_local_doctor` here when the local stack is their target.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import typer
from rich.table import Table

from mfstack.cli.app import app, console, state
from mfstack.errors import LocalStackError
from mfstack.local.bootstrap import emulator_context
from mfstack.local.env import stack_environment
from mfstack.local.layout import PARTS, DataDir, default_data_dir
from mfstack.local.resources import ROLE_PRINCIPALS, LocalResources
from mfstack.local.stack import (
    StackStatus,
    UpResult,
    batch_queue_state,
    inspect,
    start_stack,
    stop_stack,
    wait_for_batch_queue,
)
from mfstack.local.state import DEFAULT_PORT_BASE

DATA_DIR_HELP = "Folder holding the local stack's data, logs and pid files (default: the user's data dir)."
SURVIVAL_NOTE = (
    "Survives `down`, a crash or a kill of any part: every run, step, task and artifact record (SQLite "
    "in the data dir) and every S3 object whose upload was acknowledged (mirrored to the data dir before "
    "the emulator answers). Re-created on each `up`: the DynamoDB table's contents, the IAM roles and the "
    "Batch queue. Not kept: Step Functions state machines (run `step-functions create` again); executions "
    "never run locally."
)

PART_ROLES = (
    "The emulator serves S3, DynamoDB, IAM, STS, Step Functions and Batch; the service stores metadata in SQLite."
)

DataDirOption = typer.Option(None, "--data-dir", help=DATA_DIR_HELP)


def _dir_flag(data_dir: DataDir) -> str:
    """` --data-dir X` when X is not the default, for commands shown to the user."""
    return "" if data_dir.root == DataDir.at(None).root else f" --data-dir {data_dir.root}"


@app.command()
def up(
    data_dir: Path | None = DataDirOption,
    port_base: int = typer.Option(
        DEFAULT_PORT_BASE, "--port-base", min=1024, max=65534, help="Emulator on port N, metadata service on N+1."
    ),
    metaflow_profile: str = typer.Option("local", "--metaflow-profile", help="Name of the Metaflow profile to write."),
) -> int:
    """Start the local stack (AWS emulator + metadata service) and write its Metaflow profile."""
    target = DataDir.at(data_dir)
    result = start_stack(target, port_base, metaflow_profile)
    _render_up(result)
    return 0


def _render_up(result: UpResult) -> None:
    status = result.status
    flag = _dir_flag(status.data_dir)
    if result.already_running:
        console.print(f"A local stack is already running in {status.data_dir.root}; nothing was started.")
        _render_parts(status)
        console.print(f"Stop it with `mfstack down{flag}`.")
        return
    if result.recovered:
        console.print(
            f"Recovered from a previous crash (stale or half-running: {', '.join(sorted(set(result.recovered)))})."
        )
    console.print(f"[bold green]Local stack ready[/] in {result.ready_seconds:.1f} s (data dir {status.data_dir.root})")
    if state.debug:
        console.print(", ".join(f"{name} at {at:.2f} s" for name, at in result.timings.items()), style="dim")
    _render_parts(status)
    if status.state is not None:
        note = "written" if result.profile_written else "unchanged"
        console.print(f"  Metaflow profile  '{status.state.profile}' at {status.state.profile_path} ({note})")
        if result.profile_backup:
            console.print(f"  previous profile kept as {result.profile_backup}")
    console.print(f"Use it:   mfstack run{flag} -- python examples/hello.py run    (or `mfstack shell{flag}`)")
    console.print(f"Stop it:  mfstack down{flag}")
    console.print(SURVIVAL_NOTE, style="dim", soft_wrap=True)


def _render_parts(status: StackStatus) -> None:
    table = Table(box=None, show_header=True, pad_edge=False)
    for column in ("part", "pid", "listens on", "since", "health"):
        table.add_column(column, no_wrap=column != "health")
    for part in status.parts:
        since = time.strftime("%m-%d %H:%M:%S", time.localtime(part.started_at)) if part.started_at else "-"
        health = f"[green]ok[/], {part.detail}" if part.healthy else f"[red]down[/], {part.detail}"
        table.add_row(part.description, str(part.pid or "-"), part.url or "-", since, health)
    console.print(table)
    if status.running:
        queue, detail = batch_queue_state(status.data_dir)
        console.print(f"  Batch job queue   {queue}: {detail}")
        console.print(f"  {PART_ROLES}", style="dim")


@app.command()
def down(data_dir: Path | None = DataDirOption) -> int:
    """Stop every process of the local stack (its data stays in the data dir)."""
    target = DataDir.at(data_dir)
    if not target.root.is_dir():
        console.print(f"No local stack is running in {target.root}.")
        return 0
    stopped = stop_stack(target)
    if not stopped:
        console.print(f"No local stack is running in {target.root}.")
        return 0
    console.print(f"Stopped {', '.join(stopped)}; data kept in {target.root}.")
    return 0


@app.command()
def logs(
    part: str | None = typer.Argument(None, help=f"One of: {', '.join(PARTS)} (default: all)."),
    data_dir: Path | None = DataDirOption,
    lines: int = typer.Option(50, "--lines", "-n", min=1, help="How many of the last lines to show."),
) -> int:
    """Show the last lines of the local stack's logs."""
    target = DataDir.at(data_dir)
    if part is not None and part not in PARTS:
        raise LocalStackError(f"'{part}' is not a part of the local stack.", hint=f"Use one of: {', '.join(PARTS)}.")
    for name in [part] if part else list(PARTS):
        path = target.log_file(name)
        if not path.exists():
            console.print(f"[bold]{name}[/]: no log yet ({path})")
            continue
        console.print(f"[bold]==> {name} ({path}) <==[/]")
        text = path.read_text(errors="replace").splitlines()[-lines:]
        console.print("\n".join(text), markup=False, highlight=False, soft_wrap=True)
    return 0


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    command: list[str] = typer.Argument(None, help="The command to run, after `--`."),
    data_dir: Path | None = DataDirOption,
) -> int:
    """Run a command against the local stack (no AWS credentials needed): mfstack run -- python flow.py run."""
    if not command:
        raise LocalStackError("No command given.", hint="Example: mfstack run -- python examples/hello.py run")
    return _exec(command, stack_environment(DataDir.at(data_dir)))


@app.command()
def shell(data_dir: Path | None = DataDirOption) -> int:
    """Open a subshell whose commands use the local stack; `exit` leaves it."""
    env = stack_environment(DataDir.at(data_dir))
    env["MFSTACK_SHELL"] = "1"
    user_shell = os.environ.get("SHELL") or "/bin/sh"
    console.print(f"Subshell on the local stack (Metaflow profile '{env['METAFLOW_PROFILE']}'); `exit` to leave.")
    return _exec([user_shell], env)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def notebook(
    args: list[str] = typer.Argument(None, help="Extra JupyterLab arguments, after `--`."),
    data_dir: Path | None = DataDirOption,
) -> int:
    """JupyterLab on the local stack: `from metaflow import Flow` reads its runs (needs the notebook extra)."""
    if importlib.util.find_spec("jupyterlab") is None:
        raise LocalStackError(
            "`mfstack notebook` needs JupyterLab, which is not installed.",
            hint="Install the notebook extra: pip install 'mfstack[notebook]'.",
        )
    env = stack_environment(DataDir.at(data_dir))
    return _exec([sys.executable, "-m", "jupyterlab", "--ip", "127.0.0.1", *(args or [])], env)


def _exec(argv: list[str], env: dict[str, str]) -> int:
    try:
        return subprocess.run(argv, env=env, check=False).returncode
    except FileNotFoundError as exc:
        raise LocalStackError(f"The command '{argv[0]}' was not found.") from exc
    except PermissionError as exc:
        raise LocalStackError(f"The command '{argv[0]}' cannot be run ({exc.strerror}).") from exc


def local_target(data_dir: Path | None, cloud_options_given: bool) -> Path | None:
    """The data dir when the local stack is the target of `status`/`doctor`, else None."""
    if data_dir is not None:
        return DataDir.at(data_dir).root
    if cloud_options_given:
        return None
    default = DataDir.at(default_data_dir())
    return default.root if default.root.is_dir() and inspect(default).running else None


def show_local_status(data_dir: Path | None) -> int:
    """Render what runs, where, since when and how healthy; 0 when every part answers."""
    target = DataDir.at(data_dir)
    if not target.root.is_dir():
        console.print(f"No local stack in {target.root}.")
        return 1
    status = inspect(target)
    state = "running" if status.healthy else ("degraded" if status.running else "stopped")
    console.print(f"Local stack in {target.root}: [bold]{state}[/]")
    _render_parts(status)
    if status.state is not None and status.running:
        console.print(f"  Metaflow profile  '{status.state.profile}' at {status.state.profile_path}")
    if status.stale:
        console.print(f"Removed stale pid files of: {', '.join(status.stale)} (the process was gone).")
    if not status.healthy:
        console.print(f"Start or repair it with `mfstack up{_dir_flag(target)}`.")
    return 0 if status.healthy else 1


def run_local_doctor(data_dir: Path) -> int:
    """Run the cloud doctor's checks against the local stack (emulator + service); 0 when all pass."""
    from mfstack import doctor as core
    from mfstack.cli.doctor import render_checks

    target = DataDir.at(data_dir)
    status = inspect(target)
    if not status.complete or status.state is None:
        raise LocalStackError(
            f"No local stack is running in {target.root}, so there is nothing to check.",
            hint=f"Start it with `mfstack up{_dir_flag(target)}`.",
        )
    resources = LocalResources.for_data_dir(target.root)
    wait_for_batch_queue(target)
    checks = core.DoctorTarget(
        datastore_root=resources.datastore_root,
        service_url=status.state.service_url,
        api_key=target.api_key(),
        auth_expected=True,
        dynamodb_table=resources.table,
        batch_job_queue=resources.job_queue_arn,
        role_arns=tuple(resources.role_arn(role) for role in ROLE_PRINCIPALS),
    )
    console.print(f"Checking the local stack in {target.root} (emulator {status.state.emulator_url}).")
    return render_checks(core.run_checks(checks, emulator_context(status.state.emulator_url)))
