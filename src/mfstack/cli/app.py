"""The Typer application every command module registers itself on, and shared CLI state."""

from __future__ import annotations

from dataclasses import dataclass

import typer
from rich.console import Console

app = typer.Typer(
    name="mfstack",
    help="Give Metaflow a cloud: synthesize, lint and deploy the Metaflow AWS stack, "
    "or run the same stack locally with no AWS account.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

console = Console()
err_console = Console(stderr=True)


@dataclass
class State:
    """Options that apply to every command."""

    debug: bool = False


state = State()


@app.callback()
def _root(
    debug: bool = typer.Option(
        False, "--debug", help="Show the full traceback of an error instead of a one-paragraph message."
    ),
) -> None:
    state.debug = debug
