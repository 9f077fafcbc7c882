"""Generated files stay current: the committed console template and the README parameter table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mfstack.cli.synth import YAML_HEADER
from mfstack.stack import build_template, render
from mfstack.stack.docs import END, START, parameter_table, with_parameter_table

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "templates" / "metaflow.yaml"
FIX = "run `mfstack synth -o templates/metaflow.yaml` and commit the result"
REGENERATE = (
    'python -c \'import pathlib, mfstack.stack.docs as d; p = pathlib.Path("README.md"); '
    "p.write_text(d.with_parameter_table(p.read_text()))'"
)


def test_committed_template_is_what_synth_writes() -> None:
    synth = subprocess.run(
        [sys.executable, "-m", "mfstack", "synth"], capture_output=True, text=True, timeout=120, check=True
    )
    committed = COMMITTED.read_text(encoding="utf-8")
    assert synth.stdout == committed, f"templates/metaflow.yaml is out of date: {FIX}"
    assert committed == YAML_HEADER + render(build_template(), "yaml")


def test_readme_parameter_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert START in readme and END in readme
    assert with_parameter_table(readme) == readme, f"README parameter table is stale; regenerate it: {REGENERATE}"


def test_parameter_table_has_one_row_per_parameter_of_the_template() -> None:
    rows = [line for line in parameter_table().splitlines() if line.startswith("| `")]
    names = [row.split("`")[1] for row in rows]
    assert sorted(names) == sorted(build_template().parameters)


def test_readme_explains_the_console_path() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Deploy from the AWS console", 1)[1].split("\n## ", 1)[0]
    for step in ("Create stack", "templates/metaflow.yaml", "acknowledge", "CREATE_COMPLETE", "Outputs"):
        assert step in section
