"""`mfstack api-key`: the metadata service's API key id, and its value on request."""

from __future__ import annotations

from typing import Annotated

import typer

from mfstack import apikey as core
from mfstack.cli.app import app, console
from mfstack.cli.options import EndpointUrl, Profile, Region, StackName, cloud_target
from mfstack.deploy.stackinfo import require_stack
from mfstack.errors import MfstackError


@app.command("api-key")
def api_key(
    show: Annotated[bool, typer.Option("--show", help="Print the key's value (a secret).")] = False,
    stack_name: StackName = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> int:
    """Show the API key of the stack's metadata service (its value only with --show)."""
    target = cloud_target(stack_name, region, profile, endpoint_url)
    info = require_stack(target.aws, target.stack_name)
    key_id = core.api_key_id(info.outputs)
    if key_id is None:
        raise MfstackError(
            f"The stack '{target.stack_name}' has no API key: its metadata service runs without API key auth.",
            hint="Turn it on with `mfstack deploy --set APIBasicAuth=true`.",
        )
    key = core.fetch_api_key(target.aws, key_id)
    if show:
        typer.echo(key.value)
        return 0
    state = "enabled" if key.enabled else "disabled"
    console.print(
        f"API key id {key.key_id} ({key.name or 'unnamed'}, {state}), value {core.mask(key.value)}", highlight=False
    )
    console.print("Print the value with `mfstack api-key --show`.")
    return 0
