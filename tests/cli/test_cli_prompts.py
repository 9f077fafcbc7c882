"""Prompts: a person answering at a terminal (stdin replaced by the answer; the terminal check is
forced on, since the test process has no terminal), shell syntaxes of `env`, and Ctrl-C in destroy."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from cli_testkit import Result
from deploy_testkit import body, small_template

from mfstack.cli import options
from mfstack.cli.outputs import export_line
from mfstack.deploy import destroy

Cli = Callable[..., Result]


def _answer(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(options, "interactive", lambda: True)
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))


def _template(tmp_path: Path, table: str) -> str:
    path = tmp_path / "t.json"
    path.write_text(body(small_template(table)))
    return str(path)


def test_answering_no_discards_the_plan(
    cli: Cli, moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _answer(monkeypatch, "n\n")
    r = cli(
        "deploy", "--template", _template(tmp_path, "no-t"), "--stack-name", "said-no", "--endpoint-url", moto_server
    )
    assert (
        r.code == 1
        and "Acknowledge the IAM resources and apply this plan?" in r.text
        and "Nothing was changed" in r.text
    )
    cfn = boto3.client("cloudformation", endpoint_url=moto_server)
    live = [s["StackName"] for s in cfn.list_stacks()["StackSummaries"] if s["StackStatus"] != "DELETE_COMPLETE"]
    assert "said-no" not in live


def test_purge_asks_for_the_bucket_name(
    cli: Cli, moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = ["--stack-name", "ask", "--endpoint-url", moto_server]
    assert cli("deploy", "--template", _template(tmp_path, "ask-t"), "--yes", "--no-configure", *target).code == 0
    _answer(monkeypatch, "wrong-name\n")
    r = cli("destroy", "--purge-data", *target)
    assert r.code == 1 and "Type the bucket's name" in r.text and "nothing was deleted" in r.text
    assert cli("status", *target).code == 0  # the stack is still there


def test_ctrl_c_during_destroy(cli: Cli, moto_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The interrupt comes from a stand-in for the wait (a real Ctrl-C cannot be sent in-process)."""
    target = ["--stack-name", "intr", "--endpoint-url", moto_server]
    assert cli("deploy", "--template", _template(tmp_path, "intr-t"), "--yes", "--no-configure", *target).code == 0

    def interrupted(*_args: object, **_kwargs: object) -> destroy.DestroyResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(destroy, "destroy", interrupted)
    r = cli("destroy", "--yes", *target)
    assert r.code == 130 and "deletion goes on in AWS" in r.text and "mfstack status --stack-name intr" in r.text


@pytest.mark.parametrize(
    ("shell", "line"),
    [
        ("bash", "export K='it'\"'\"'s here'"),
        ("fish", "set -gx K 'it'\"'\"'s here'"),
        ("powershell", "$env:K = 'it''s here'"),
    ],
)
def test_env_quotes_values_for_each_shell(shell: str, line: str) -> None:
    assert export_line(shell, "K", "it's here") == line
