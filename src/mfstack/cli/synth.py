"""`mfstack synth`: write the CloudFormation template of the Metaflow stack."""

from __future__ import annotations

import os
import sys
import tempfile
from enum import StrEnum
from pathlib import Path

import typer

from mfstack import settings
from mfstack.cli.app import app, err_console
from mfstack.errors import MfstackError
from mfstack.stack import build_template, render

SET_HELP = "Change a parameter's default, e.g. --set BatchType=fargate (repeatable)."


class Format(StrEnum):
    """Template text formats."""

    yaml = "yaml"
    json = "json"


def resolved_settings(assignments: list[str] | None) -> dict[str, str]:
    """`--set Name=Value` options, validated into the full set of settings."""
    return settings.resolve(settings.parse_assignments(assignments or []))


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file, so a failure never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@app.command()
def synth(
    fmt: Format | None = typer.Option(
        None, "--format", "-f", help="yaml (default) or json; -o FILE.json implies json."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Write the template here instead of stdout.", dir_okay=False
    ),
    assignments: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
) -> int:
    """Write the CloudFormation template of the Metaflow stack (upload it in the AWS console)."""
    values = resolved_settings(assignments)
    chosen = fmt.value if fmt else ("json" if output and output.suffix.lower() == ".json" else "yaml")
    template = build_template(values)
    text = render(template, "json" if chosen == "json" else "yaml")
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        write_atomically(output, text)
    except OSError as exc:
        raise MfstackError(f"Cannot write the template to {output}: {exc.strerror or exc}.") from exc
    err_console.print(f"Wrote {output} ({len(template.resources)} resources, {len(template.parameters)} parameters).")
    return 0
