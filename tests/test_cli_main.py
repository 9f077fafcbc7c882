"""The CLI entry point: usage errors and unknown commands are messages with exit 2, never tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _mfstack(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mfstack", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("up", "--port-base", "abc"), "Invalid value for '--port-base'"),
        (("synth", "--no-such-option"), "No such option: --no-such-option"),
        (("no-such-command",), "No such command"),
    ],
)
def test_usage_errors_are_one_message_and_exit_2(args: tuple[str, ...], expected: str) -> None:
    result = _mfstack(*args)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_help_lists_every_command_and_exits_0() -> None:
    result = _mfstack("--help")
    assert result.returncode == 0
    for command in ("synth", "lint", "deploy", "configure", "doctor", "destroy", "up", "down", "run", "service"):
        assert command in result.stdout
