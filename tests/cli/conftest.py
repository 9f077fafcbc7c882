"""CLI test fixtures: run `mfstack` in-process (real argument parsing, error rendering and exit
codes), a moto server over HTTP, and a canned CloudFormation endpoint on a loopback port."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))
from cli_testkit import CannedCfn, Result, handler
from deploy_testkit import patch_moto_change_set_outputs

from mfstack.cli import main as cli_main


@pytest.fixture(scope="session", autouse=True)
def _moto_outputs() -> Iterator[None]:
    yield from patch_moto_change_set_outputs()


@pytest.fixture
def cli(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> Callable[..., Result]:
    """Run `mfstack ARGS...` in this process; return its exit code and output."""
    monkeypatch.setenv("METAFLOW_HOME", str(tmp_path / "metaflow-home"))
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> Result:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["mfstack", *args])
        code = 0
        try:
            cli_main.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        assert "Traceback" not in captured.out + captured.err
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def canned() -> Iterator[CannedCfn]:
    """A canned CloudFormation endpoint on a loopback port."""
    state = CannedCfn(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
