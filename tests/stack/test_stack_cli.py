"""`mfstack synth` and `mfstack lint` as a user runs them: the real console script in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

BLOCK_LINT_EXTRA = """
import sys
from importlib.abc import MetaPathFinder

class NotInstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'checkov':
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NotInstalled())
sys.argv = ['mfstack', 'lint']
from mfstack.cli.main import main
main()
"""


def mfstack(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"COLUMNS": "250"}  # wide enough that rich does not wrap table cells
    return subprocess.run(
        [sys.executable, "-m", "mfstack", *args], capture_output=True, text=True, timeout=timeout, env=env
    )


def test_synth_to_stdout_is_a_cloudformation_template() -> None:
    result = mfstack("synth", "--set", "BatchType=fargate")
    assert result.returncode == 0, result.stderr
    doc = yaml.load(result.stdout, Loader=yaml.BaseLoader)  # BaseLoader ignores CloudFormation's !Tags
    assert doc["AWSTemplateFormatVersion"] == "2010-09-09"
    assert doc["Parameters"]["BatchType"]["Default"] == "fargate"


def test_synth_writes_json_to_a_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "stack.json"
    result = mfstack("synth", "-o", str(target), "--set", "EnableSagemaker=true")
    assert result.returncode == 0, result.stderr
    doc = json.loads(target.read_text())
    assert doc["Parameters"]["EnableSagemaker"]["Default"] == "true"
    assert "Wrote" in result.stderr and result.stdout == ""


def test_synth_yaml_format_wins_over_the_file_suffix(tmp_path: Path) -> None:
    target = tmp_path / "stack.json"
    assert mfstack("synth", "-o", str(target), "--format", "yaml").returncode == 0
    assert "\nAWSTemplateFormatVersion: '2010-09-09'\n" in target.read_text()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--set", "NoSuchThing=1"], "Unknown setting 'NoSuchThing'"),
        (["--set", "BatchType=gpu"], "BatchType takes one of ec2, fargate"),
        (["--set", "BatchType"], "Name=Value"),
        (["--set", "Subnet1Cidr=192.168.0.0/24"], "not inside VPCCidr"),
    ],
)
def test_synth_refuses_bad_settings_in_one_paragraph(args: list[str], fragment: str) -> None:
    result = mfstack("synth", *args)
    assert result.returncode == 2
    assert fragment in " ".join(result.stderr.split())
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_synth_does_not_leave_a_file_when_the_target_is_unwritable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("keep me")
    result = mfstack("synth", "-o", str(blocker / "stack.yaml"))
    assert result.returncode == 1 and "Cannot write the template" in result.stderr
    assert "Traceback" not in result.stderr and blocker.read_text() == "keep me"


@pytest.mark.slow
def test_lint_is_clean_and_exits_zero() -> None:
    result = mfstack("lint", "--set", "CustomRole=true", "--show-skipped")
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())
    assert "clean (cfn-lint: 0, checkov: 0, parliament: 0" in out
    assert "CKV_AWS_157" in out  # the skipped checks are listed with their reasons


def test_lint_without_the_lint_extra_says_how_to_install_it() -> None:
    """checkov is made unimportable in the child process (a real uninstall is not possible in a test)."""
    result = subprocess.run([sys.executable, "-c", BLOCK_LINT_EXTRA], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert 'pip install "mfstack[lint]"' in result.stderr and "checkov" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_lint_matrix_lints_every_combination() -> None:
    from mfstack.gates.matrix import MATRIX, label

    result = subprocess.run(
        [sys.executable, "-m", "mfstack", "lint", "--matrix"],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ | {"COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if "auth=" in line]
    assert len(rows) == len(MATRIX)
    for combo, row in zip(MATRIX, rows, strict=True):
        assert label(combo) in row and "clean" in row


@pytest.mark.slow
def test_lint_a_template_file_reports_findings_and_exits_one(tmp_path: Path) -> None:
    from test_stack_gates import BAD_TEMPLATE

    bad = tmp_path / "old.yaml"
    bad.write_text(BAD_TEMPLATE)
    result = mfstack("lint", "--template", str(bad))
    assert result.returncode == 1
    out = " ".join(result.stdout.split())
    assert "E3002" in out and "CKV_AWS_21" in out and "RESOURCE_MISMATCH" in out
    assert "finding(s) (cfn-lint: 2, checkov: 6, parliament: 1" in out


@pytest.mark.slow
def test_lint_the_committed_template_file_is_clean() -> None:
    committed = Path(__file__).resolve().parents[2] / "templates" / "metaflow.yaml"
    result = mfstack("lint", "--template", str(committed))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--template", "{junk}"], "This is not a CloudFormation template"),
        (["--template", "{missing}"], "Cannot read the template"),
        (["--template", "{junk}", "--matrix"], "cannot be combined with --matrix or --set"),
    ],
)
def test_lint_refuses_what_it_cannot_lint(tmp_path: Path, args: list[str], fragment: str) -> None:
    junk = tmp_path / "junk.yaml"
    junk.write_text("hello: [\n")
    paths = {"junk": str(junk), "missing": str(tmp_path / "missing.yaml")}
    result = mfstack("lint", *(a.format(**paths) for a in args))
    assert result.returncode == 1
    assert fragment in " ".join(result.stderr.split()) and "Traceback" not in result.stderr
