"""Helpers for the local-stack tests: run the real `mfstack` CLI in a clean environment."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
CLI_TIMEOUT = 120
FLOW_TIMEOUT = 420


def free_port_pair() -> int:
    """A port N such that N and N+1 are both free on 127.0.0.1 right now."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port < 65000 and _free(port) and _free(port + 1):
            return port
    raise RuntimeError("no two consecutive free ports found")


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def clean_env(home: Path) -> dict[str, str]:
    """This process's environment without any AWS identity, with a private Metaflow home."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "METAFLOW_"))}
    env["METAFLOW_HOME"] = str(home)
    env["METAFLOW_USER"] = "tester"
    env["AWS_CONFIG_FILE"] = str(home / "no-aws-config")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(home / "no-aws-credentials")
    return env


@dataclass
class LocalStack:
    """One data dir and port pair, driven through the real CLI in subprocesses."""

    data_dir: Path
    port_base: int
    env: dict[str, str]

    def cli(self, *args: str, timeout: float = CLI_TIMEOUT, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """`mfstack ARGS`, reading `stdin`."""
        argv = [sys.executable, "-m", "mfstack", *args]
        return subprocess.run(
            argv, env=self.env, input=stdin, capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False
        )

    def up(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.cli("up", "--data-dir", str(self.data_dir), "--port-base", str(self.port_base), *extra)

    def down(self) -> subprocess.CompletedProcess[str]:
        return self.cli("down", "--data-dir", str(self.data_dir))

    def run(self, *command: str, timeout: float = FLOW_TIMEOUT) -> subprocess.CompletedProcess[str]:
        return self.cli("run", "--data-dir", str(self.data_dir), "--", *command, timeout=timeout)

    def python(self, code: str) -> dict[str, object]:
        """Run `code` under `mfstack run`; it prints one JSON object as its last line."""
        out = self.run(sys.executable, "-c", code)
        assert out.returncode == 0, out.stdout + out.stderr
        result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
        return result

    def pids(self) -> dict[str, int]:
        """The pids recorded in the pid files."""
        run = self.data_dir / "run"
        return {p.stem: int(p.read_text()) for p in run.glob("*.pid")} if run.is_dir() else {}


def alive(pid: int) -> bool:
    """True when `pid` runs (zombies count as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def processes_mentioning(text: str) -> list[int]:
    """Pids of processes whose command line contains `text` (Linux /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and alive(int(proc.name)):
            found.append(int(proc.name))
    return found
