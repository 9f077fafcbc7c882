"""`mfstack configure`: write the Metaflow profile of a deployed stack (API key fetched, never shown)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import typer

from mfstack import apikey, profile
from mfstack.cli.app import app, console
from mfstack.cli.options import CloudTarget, EndpointUrl, Profile, Region, StackName, cloud_target
from mfstack.deploy.stackinfo import require_stack
from mfstack.stack.outputs import AUTH_KEY_SETTING

S3_ENDPOINT_SETTING = "METAFLOW_S3_ENDPOINT_URL"
MetaflowProfile = Annotated[
    str | None,
    typer.Option("--metaflow-profile", help="Write config_NAME.json (default: config.json, the default profile)."),
]


def stack_settings(target: CloudTarget, outputs: Mapping[str, str], api_key: str | None) -> dict[str, str]:
    """The Metaflow settings of a deployed stack; behind an emulator, S3 calls go to the emulator too."""
    config = profile.metaflow_config(outputs, api_key)
    if target.aws.endpoint_url:
        config[S3_ENDPOINT_SETTING] = target.aws.endpoint_url
    return config


def write_profile(
    target: CloudTarget, outputs: Mapping[str, str], name: str | None, force: bool, show_secrets: bool
) -> int:
    """Fetch the API key, write the profile, and tell the user how to use it."""
    key = apikey.stack_api_key(target.aws, outputs)
    config = stack_settings(target, outputs, key.value if key else None)
    if profile.read_metaflow_profile(name) == config:
        console.print(f"The Metaflow profile {profile.profile_path(name)} is already up to date.", highlight=False)
        return 0
    written = profile.write_metaflow_profile(config, name=name, force=force)
    console.print(f"Wrote the Metaflow profile {written.path} (mode 0600).", highlight=False)
    if written.backup:
        console.print(f"The previous profile was kept as {written.backup}.", highlight=False)
    for k in sorted(config):
        shown = config[k] if (k != AUTH_KEY_SETTING or show_secrets) else apikey.mask(config[k])
        console.print(f"  {k} = {shown}", markup=False, highlight=False, soft_wrap=True)
    if name:
        console.print(f"Use it with: export METAFLOW_PROFILE={name}", highlight=False)
    return 0


@app.command()
def configure(
    metaflow_profile: MetaflowProfile = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing profile (the old file is kept as a backup).")
    ] = False,
    show_secrets: Annotated[
        bool, typer.Option("--show-secrets", help="Print the API key instead of masking it.")
    ] = False,
    stack_name: StackName = None,
    region: Region = None,
    profile_: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> int:
    """Write the Metaflow profile (config.json or config_NAME.json) of a deployed stack."""
    target = cloud_target(stack_name, region, profile_, endpoint_url)
    info = require_stack(target.aws, target.stack_name)
    return write_profile(target, info.outputs, metaflow_profile, force, show_secrets)
