"""Background processes of the local stack: start detached, pid files, health checks, stop.

Each part runs in its own session (so a terminal's Ctrl-C does not reach it and `down` can stop
it with everything it spawned), writes to `logs/<part>.log`, and is recorded in
`run/<part>.pid`. A pid file whose process is gone, or now belongs to another program, is stale
and is removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mfstack.errors import LocalStackError
from mfstack.local.layout import DataDir

HEALTH_TIMEOUT = 0.5
STOP_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class PartSpec:
    """How to run one part of the stack and how to tell it is healthy."""

    name: str
    description: str
    argv: list[str]
    port: int
    health_url: str
    url: str
    health_header: str | None = None  # a response header a healthy answer must carry
    health_headers: tuple[tuple[str, str], ...] = ()  # headers sent with the health check
    env: tuple[tuple[str, str], ...] = ()  # extra environment of the process


@dataclass(frozen=True)
class PartProcess:
    """A part as found on this machine."""

    name: str
    pid: int | None
    alive: bool
    started_at: float | None
    stale: bool = False


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on host:port (and we may bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do: TIME_WAIT is no conflict
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def spawn(spec: PartSpec, data_dir: DataDir, env: dict[str, str]) -> int:
    """Start `spec` detached from this process; record and return its pid."""
    log_path = data_dir.log_file(spec.name)
    with open(log_path, "ab") as log:
        log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting {spec.description} on {spec.url}\n".encode())
        log.flush()
        try:
            proc = subprocess.Popen(
                spec.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**env, **dict(spec.env)},
                cwd=data_dir.root,
                start_new_session=True,
                close_fds=True,
            )
        except OSError as exc:
            raise LocalStackError(f"The {spec.description} could not be started ({exc.strerror}).") from exc
    data_dir.pid_file(spec.name).write_text(f"{proc.pid}\n")
    return proc.pid


def _reap(pid: int) -> None:
    """Collect an exited child of this process (so it does not linger as a zombie)."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def pid_alive(pid: int) -> bool:
    """True when `pid` runs (a zombie counts as gone)."""
    _reap(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        with contextlib.suppress(OSError, IndexError):
            return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def _is_ours(pid: int, data_dir: DataDir) -> bool:
    """True when `pid` is a process of this stack (checked on /proc where it exists)."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return True
    try:
        args = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return False
    return "mfstack" in args and str(data_dir.root) in args


def find(name: str, data_dir: DataDir) -> PartProcess:
    """The part `name` as recorded by its pid file; a dead or foreign pid is reported stale."""
    path = data_dir.pid_file(name)
    try:
        text = path.read_text().strip()
        started = path.stat().st_mtime
    except FileNotFoundError:
        return PartProcess(name, None, False, None)
    pid = int(text) if text.isdigit() else None
    if pid is not None and pid_alive(pid) and _is_ours(pid, data_dir):
        return PartProcess(name, pid, True, started)
    return PartProcess(name, pid, False, started, stale=True)


def check_health(spec: PartSpec) -> tuple[bool, str]:
    """(healthy, detail) from one quick HTTP GET of the part's health URL."""
    request = urllib.request.Request(spec.health_url, headers=dict(spec.health_headers))
    try:
        with urllib.request.urlopen(request, timeout=HEALTH_TIMEOUT) as resp:
            if spec.health_header and not resp.headers.get(spec.health_header):
                return False, f"answers without the {spec.health_header} header"
            version = resp.headers.get(spec.health_header) if spec.health_header else None
            return True, f"version {version}" if version else "answers"
    except urllib.error.HTTPError as exc:
        return False, f"answers HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"does not answer ({reason})"


def stop(part: PartProcess, data_dir: DataDir, grace: float = STOP_GRACE_SECONDS) -> bool:
    """Stop a part and everything it spawned (SIGTERM, then SIGKILL after `grace`)."""
    stopped = False
    if part.pid is not None and part.alive:
        _signal_group(part.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while pid_alive(part.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if pid_alive(part.pid):
            _signal_group(part.pid, signal.SIGKILL)
            deadline = time.monotonic() + grace
            while pid_alive(part.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        stopped = True
    data_dir.pid_file(part.name).unlink(missing_ok=True)
    return stopped


def _signal_group(pid: int, sig: signal.Signals) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        return
    except PermissionError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def log_tail(path: Path, lines: int = 20) -> str:
    """The last `lines` lines of a log file ('' when there is none)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])
