"""Start, inspect and stop the local stack of one data dir. Returns data; `cli/local.py` renders it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from mfstack.aws import AwsContext
from mfstack.errors import LocalStackError
from mfstack.local import supervisor
from mfstack.local.bootstrap import BootstrapResult, bootstrap, emulator_context, prepare_clients
from mfstack.local.layout import PARTS, DataDir
from mfstack.local.resources import LOCAL_BUCKET_PREFIX, LocalResources, emulated_aws_env, profile_settings
from mfstack.local.state import PORT_FLAG, StackState, part_specs
from mfstack.profile import metaflow_home, profile_path, read_metaflow_profile, write_metaflow_profile

READY_TIMEOUT = 60.0
BATCH_WAIT = 60.0
POLL_SECONDS = 0.03


@dataclass(frozen=True)
class PartReport:
    """One part of the stack: its process, where it listens, and whether it answers."""

    name: str
    description: str
    pid: int | None
    url: str | None
    alive: bool
    healthy: bool
    detail: str
    started_at: float | None


@dataclass(frozen=True)
class StackStatus:
    """What runs for a data dir."""

    data_dir: DataDir
    state: StackState | None
    parts: list[PartReport]
    stale: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return any(p.alive for p in self.parts)

    @property
    def complete(self) -> bool:
        return all(p.alive for p in self.parts)

    @property
    def healthy(self) -> bool:
        return all(p.alive and p.healthy for p in self.parts)


@dataclass(frozen=True)
class UpResult:
    """What `up` did."""

    status: StackStatus
    already_running: bool
    ready_seconds: float = 0.0
    profile_written: bool = False
    profile_backup: str | None = None
    bootstrap: BootstrapResult | None = None
    recovered: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds from the start of `up` to each milestone


@contextlib.contextmanager
def _locked(data_dir: DataDir) -> Iterator[None]:
    """One `up`/`down` at a time per data dir."""
    data_dir.create()
    with open(data_dir.root / "run" / "lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def inspect(data_dir: DataDir) -> StackStatus:
    """The parts of the stack in `data_dir`: process, URL, health. Stale pid files are removed."""
    state = StackState.load(data_dir)
    key = data_dir.api_key() if data_dir.api_key_file.exists() else ""
    specs = {s.name: s for s in part_specs(data_dir, state.port_base, key)} if state else {}
    parts: list[PartReport] = []
    stale: list[str] = []
    for name in PARTS:
        proc = supervisor.find(name, data_dir)
        if proc.stale:
            data_dir.pid_file(name).unlink(missing_ok=True)
            stale.append(name)
        spec = specs.get(name)
        healthy, detail = supervisor.check_health(spec) if (spec and proc.alive) else (False, "not running")
        parts.append(
            PartReport(
                name=name,
                description=spec.description if spec else name,
                pid=proc.pid if proc.alive else None,
                url=spec.url if spec else None,
                alive=proc.alive,
                healthy=healthy,
                detail=detail,
                started_at=proc.started_at if proc.alive else None,
            )
        )
    return StackStatus(data_dir=data_dir, state=state, parts=parts, stale=stale)


def start_stack(data_dir: DataDir, port_base: int, profile: str) -> UpResult:
    """Start the emulator and the service, create the resources, write the profile."""
    with _locked(data_dir):
        status = inspect(data_dir)
        if status.complete:
            return UpResult(status=status, already_running=True)
        recovered = list(status.stale)
        for part in status.parts:  # a half-running stack (one part crashed): restart it whole
            if part.alive:
                supervisor.stop(supervisor.find(part.name, data_dir), data_dir)
                recovered.append(part.name)
        return _start(data_dir, port_base, profile, recovered)


def _start(data_dir: DataDir, port_base: int, profile: str, recovered: list[str]) -> UpResult:
    began = time.monotonic()
    resources = LocalResources.for_data_dir(data_dir.root)
    api_key = data_dir.api_key()
    specs = part_specs(data_dir, port_base, api_key)
    settings = profile_settings(resources, specs[0].url, specs[1].url, api_key)
    existing = _check_profile(profile, resources)
    _check_ports(specs)
    env = dict(emulated_aws_env(os.environ), PYTHONUNBUFFERED="1")
    timings: dict[str, float] = {}
    data_dir.batch_marker.unlink(missing_ok=True)
    data_dir.state_file.unlink(missing_ok=True)  # the emulator makes the Batch queue once it reappears
    pids = {spec.name: supervisor.spawn(spec, data_dir, env) for spec in specs}
    try:
        aws = emulator_context(specs[0].url)
        prepare_clients(aws)  # while the processes start
        boot = _wait_ready(specs, pids, data_dir, resources, timings, aws)
    except BaseException:
        for spec in specs:
            supervisor.stop(supervisor.find(spec.name, data_dir), data_dir)
        raise
    write = None if existing == settings else write_metaflow_profile(settings, name=profile, force=existing is not None)
    path = profile_path(profile)
    StackState(port_base, profile, str(path), str(metaflow_home()), time.time()).save(data_dir)
    return UpResult(
        status=inspect(data_dir),
        already_running=False,
        ready_seconds=time.monotonic() - began,
        profile_written=write is not None,
        profile_backup=str(write.backup) if write and write.backup else None,
        bootstrap=boot,
        recovered=recovered,
        timings={name: at - began for name, at in timings.items()},
    )


def _check_profile(profile: str, resources: LocalResources) -> dict[str, str] | None:
    """The existing profile if it is ours to rewrite; a profile someone else wrote is an error."""
    existing = read_metaflow_profile(profile)
    if existing is not None and existing.get("METAFLOW_DATASTORE_SYSROOT_S3") != resources.datastore_root:
        other = "the local stack of another data dir" if LOCAL_BUCKET_PREFIX in str(existing) else "you or another tool"
        raise LocalStackError(
            f"The Metaflow profile '{profile}' ({profile_path(profile)}) was written by {other}, not for the local "
            "stack of this data dir, so it was left as it is and nothing was started.",
            hint="Pass --metaflow-profile NAME to write the local stack's settings under another name.",
        )
    return existing


def _check_ports(specs: list[supervisor.PartSpec]) -> None:
    for spec in specs:
        if not supervisor.port_is_free(spec.port):
            raise LocalStackError(
                f"Port {spec.port} on 127.0.0.1, needed by the {spec.description}, is in use by another program.",
                hint=f"Pass {PORT_FLAG} N to use ports N (emulator) and N+1 (metadata service) instead.",
            )


def _wait_ready(
    specs: list[supervisor.PartSpec],
    pids: dict[str, int],
    data_dir: DataDir,
    resources: LocalResources,
    timings: dict[str, float],
    aws: AwsContext,
) -> BootstrapResult:
    """Poll every part until it answers; bootstrap the emulator as soon as it does."""
    pending = {spec.name: spec for spec in specs}
    boot = BootstrapResult()
    deadline = time.monotonic() + READY_TIMEOUT
    while pending:
        for name, spec in list(pending.items()):
            if not supervisor.pid_alive(pids[name]):
                log = data_dir.log_file(name)
                raise LocalStackError(
                    f"The {spec.description} exited while starting. Last lines of {log}:\n{supervisor.log_tail(log)}"
                )
            if supervisor.check_health(spec)[0]:
                del pending[name]
                timings[f"{name} answering"] = time.monotonic()
                if name == "emulator":
                    boot = bootstrap(aws, resources)
                    timings["resources created"] = time.monotonic()
        if pending and time.monotonic() > deadline:
            names = ", ".join(pending)
            raise LocalStackError(
                f"The local stack did not answer within {READY_TIMEOUT:.0f} s (waiting for: {names}).",
                hint=f"See `mfstack logs --data-dir {data_dir.root}`.",
            )
        if pending:
            time.sleep(POLL_SECONDS)
    return boot


def stop_stack(data_dir: DataDir) -> list[str]:
    """Stop every part started for `data_dir`; returns the names of the parts that were running."""
    with _locked(data_dir):
        stopped = [name for name in PARTS if supervisor.stop(supervisor.find(name, data_dir), data_dir)]
        data_dir.state_file.unlink(missing_ok=True)
        return stopped


def batch_queue_state(data_dir: DataDir) -> tuple[str, str]:
    """('ready' | 'creating' | 'failed', detail) of the Batch queue the emulator makes after it starts."""
    try:
        outcome = json.loads(data_dir.batch_marker.read_text())
    except (OSError, ValueError):
        return "creating", "the emulator is still making it"
    if outcome.get("ok"):
        return "ready", LocalResources.for_data_dir(data_dir.root).job_queue
    return "failed", str(outcome.get("error", "unknown error"))


def wait_for_batch_queue(data_dir: DataDir, timeout: float = BATCH_WAIT) -> tuple[str, str]:
    """Wait (bounded) until the emulator has made the Batch queue or given up; returns its state."""
    deadline = time.monotonic() + timeout
    state = batch_queue_state(data_dir)
    while state[0] == "creating" and time.monotonic() < deadline:
        time.sleep(0.1)
        state = batch_queue_state(data_dir)
    return state
