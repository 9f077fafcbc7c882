"""`python -m mfstack.service [OPTIONS]`: the metadata service alone, with the same options as
`mfstack service`, without loading the other commands (what the container image runs; it also
starts faster and needs only the service's own dependencies)."""

from __future__ import annotations

import sys

import typer

from mfstack.cli.main import render_error
from mfstack.cli.service import service
from mfstack.errors import MfstackError


def main() -> None:
    try:
        typer.run(service)
    except MfstackError as exc:
        render_error(exc)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
