"""Entry point of the `mfstack` console script: registers the commands and renders errors once."""

from __future__ import annotations

import sys
from importlib import import_module

from rich.markup import escape

from mfstack.cli.app import app, err_console, state
from mfstack.errors import MfstackError

# Each module registers its commands on `app` when imported.
COMMAND_MODULES: tuple[str, ...] = (
    "local",
    "service",
    "synth",
    "lint",
    "deploy",
    "status",
    "outputs",
    "configure",
    "apikey",
    "role",
    "doctor",
    "destroy",
    "cost",
)


def _register() -> None:
    for name in COMMAND_MODULES:
        import_module(f"mfstack.cli.{name}")


def render_error(exc: MfstackError) -> None:
    """Print an error as one paragraph (plus its hint) on stderr, as text: AWS messages hold
    brackets such as '[/Resources/X]' or '[ce-1]' that rich markup would eat or choke on."""
    err_console.print(f"[bold red]Error:[/] {escape(exc.message)}", highlight=False, soft_wrap=True)
    if exc.hint:
        err_console.print(escape(exc.hint), highlight=False, soft_wrap=True)


def main() -> None:
    """Run the CLI; a MfstackError becomes a message and its exit code (`--debug` re-raises)."""
    _register()
    try:
        result = app(standalone_mode=False)
    except MfstackError as exc:
        if state.debug:
            raise
        render_error(exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and aborts
        _click_exit(exc)
    sys.exit(result if isinstance(result, int) else 0)


def _click_exit(exc: Exception) -> None:
    """Usage errors, --help exits and aborts from click. Matched by class name: typer may raise
    them from its own bundled copy of click, whose classes are not `click`'s."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "Exit" in names:
        sys.exit(getattr(exc, "exit_code", 0))
    if "ClickException" in names:
        exc.show()  # type: ignore[attr-defined]
        sys.exit(getattr(exc, "exit_code", 2))
    if "Abort" in names:
        err_console.print("Aborted.")
        sys.exit(1)
    raise exc
