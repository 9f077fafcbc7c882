"""`mfstack outputs` and `mfstack env`: a deployed stack's outputs, and its Metaflow settings as exports."""

from __future__ import annotations

import json
import shlex
from typing import Annotated

import typer

from mfstack import apikey
from mfstack.cli.app import app, console
from mfstack.cli.configure import stack_settings
from mfstack.cli.options import EndpointUrl, Profile, Region, StackName, cloud_target
from mfstack.cli.progress import outputs_table
from mfstack.deploy.stackinfo import require_stack
from mfstack.errors import MfstackError
from mfstack.stack.outputs import AUTH_KEY_SETTING

SHELLS = ("bash", "fish", "powershell")


@app.command()
def outputs(
    as_json: Annotated[bool, typer.Option("--json", help="Print the outputs as a JSON object.")] = False,
    stack_name: StackName = None,
    region: Region = None,
    profile_: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> int:
    """Show the stack's outputs and the Metaflow setting each feeds."""
    target = cloud_target(stack_name, region, profile_, endpoint_url)
    info = require_stack(target.aws, target.stack_name)
    if as_json:
        typer.echo(json.dumps(info.outputs, indent=2, sort_keys=True))
    else:
        console.print(outputs_table(info.outputs))
    return 0


def export_line(shell: str, key: str, value: str) -> str:
    """One environment assignment in the syntax of `shell`."""
    if shell == "fish":
        return f"set -gx {key} {shlex.quote(value)}"
    if shell == "powershell":
        escaped = value.replace("'", "''")
        return f"$env:{key} = '{escaped}'"
    return f"export {key}={shlex.quote(value)}"


@app.command()
def env(
    shell: Annotated[
        str, typer.Option("--shell", help="Syntax of the exports: bash (also zsh/sh), fish or powershell.")
    ] = "bash",
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="Include the API key (METAFLOW_SERVICE_AUTH_KEY).")
    ] = False,
    stack_name: StackName = None,
    region: Region = None,
    profile_: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> int:
    """Print the stack's Metaflow settings as environment exports, e.g. `eval "$(mfstack env --show-secrets)"`."""
    if shell not in SHELLS:
        raise MfstackError(f"--shell {shell!r} is not supported: use one of {', '.join(SHELLS)}.")
    target = cloud_target(stack_name, region, profile_, endpoint_url)
    info = require_stack(target.aws, target.stack_name)
    key = apikey.stack_api_key(target.aws, info.outputs) if show_secrets else None
    settings = stack_settings(target, info.outputs, key.value if key else None)
    for name in sorted(settings):
        typer.echo(export_line(shell, name, settings[name]))
    if apikey.api_key_id(info.outputs) and not show_secrets:
        typer.echo(f"# {AUTH_KEY_SETTING} left out; add --show-secrets to include the API key.")
    return 0
