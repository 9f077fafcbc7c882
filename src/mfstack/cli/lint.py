"""`mfstack lint`: run cfn-lint, checkov and parliament on the synthesized template.

`--matrix` runs them on every combination of the parameter matrix (every condition switched
both ways, see `gates/matrix.py`), as the test suite does.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from mfstack import settings
from mfstack.cli.app import app, console
from mfstack.cli.synth import SET_HELP, resolved_settings
from mfstack.errors import MfstackError
from mfstack.gates import Finding, GateReport, require_lint_extra, run_gates, template_defaults
from mfstack.gates.matrix import MATRIX, label
from mfstack.stack import build_template, render


def _table(title: str, rows: list[Finding]) -> Table:
    table = Table(title=title, show_lines=False)
    for column in ("gate", "severity", "rule", "resource", "message"):
        table.add_column(column, overflow="fold")
    for f in rows:
        table.add_row(*(escape(v) for v in (f.gate, f.severity, f.rule, f.resource, f.message)))
    return table


def _render(report: GateReport, show_skipped: bool) -> None:
    if report.findings:
        console.print(_table("Findings", report.findings))
    if show_skipped and report.skipped:
        console.print(_table("Skipped or allowed, with reasons", report.skipped))
    counts = ", ".join(f"{gate}: {n}" for gate, n in report.counts.items())
    verdict = "[green]clean[/]" if report.clean else f"[red]{len(report.findings)} finding(s)[/]"
    console.print(f"{verdict} ({counts}; {len(report.skipped)} skipped with a documented reason)")


def _gate(values: dict[str, str], what: str) -> GateReport:
    with console.status(f"Linting {what} (cfn-lint, checkov, parliament)..."):
        return run_gates(render(build_template(values), "yaml"), values)


def _gate_file(path: Path) -> GateReport:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MfstackError(f"Cannot read the template {path}: {exc}.") from exc
    values = template_defaults(text)
    with console.status(f"Linting {path} (cfn-lint, checkov, parliament)..."):
        return run_gates(text, values)


def _run_matrix(base: dict[str, str], show_skipped: bool) -> bool:
    summary = Table(title="Parameter matrix")
    for column in ("combination", "cfn-lint", "checkov", "parliament", "verdict"):
        summary.add_column(column, overflow="fold")
    clean = True
    for combo in MATRIX:
        values = settings.resolve(base | combo)
        report = _gate(values, label(combo))
        if not report.clean:
            console.print(_table(f"Findings with {label(combo)}", report.findings))
        if show_skipped and report.skipped:
            console.print(_table(f"Skipped with {label(combo)}", report.skipped))
        counts = [str(report.counts.get(g, 0)) for g in ("cfn-lint", "checkov", "parliament")]
        summary.add_row(label(combo), *counts, "[green]clean[/]" if report.clean else "[red]findings[/]")
        clean = clean and report.clean
    console.print(summary)
    return clean


@app.command()
def lint(
    assignments: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    show_skipped: bool = typer.Option(False, "--show-skipped", help="Also list skipped checks and their reasons."),
    matrix: bool = typer.Option(
        False,
        "--matrix",
        help="Lint every combination of the conditions (auth, role, notebook, EC2/Fargate, partition).",
    ),
    template_file: Path | None = typer.Option(
        None, "--template", help="Lint this template file instead of the synthesized one.", dir_okay=False
    ),
) -> int:
    """Run the quality gates (cfn-lint, checkov, parliament) on the template; exit 0 only when clean."""
    overrides = settings.parse_assignments(assignments or [])
    if template_file is not None and (matrix or overrides):
        raise MfstackError("--template lints the file as it is: it cannot be combined with --matrix or --set.")
    values = resolved_settings(assignments) if template_file is None else {}
    require_lint_extra()
    if matrix:
        return 0 if _run_matrix(overrides, show_skipped) else 1
    report = _gate_file(template_file) if template_file is not None else _gate(values, "the template")
    _render(report, show_skipped)
    return 0 if report.clean else 1
