"""`mfstack destroy`: delete the stack, keep the data, and say exactly what was kept."""

from __future__ import annotations

from typing import Annotated

import typer

from mfstack.aws import AwsContext
from mfstack.cli.app import app, console, err_console
from mfstack.cli.options import EndpointUrl, Profile, Region, StackName, cloud_target, require_answer
from mfstack.cli.progress import EventView
from mfstack.deploy import destroy as core
from mfstack.deploy.stackinfo import require_stack
from mfstack.errors import AwsError, MfstackError


def _bucket(kept: tuple[core.KeptResource, ...] | list[core.KeptResource]) -> str | None:
    return next((k.name for k in kept if k.logical_id == "MetaflowS3Bucket"), None)


def _confirm_purge(bucket: str, confirm_bucket: str | None) -> None:
    if confirm_bucket is None:
        require_answer("--purge-data", f"--confirm-bucket {bucket}")
        confirm_bucket = typer.prompt(f"This deletes every object in s3://{bucket}. Type the bucket's name to confirm")
    if confirm_bucket.strip() != bucket:
        raise MfstackError(f"'{confirm_bucket}' is not the bucket's name ({bucket}); nothing was deleted.")


@app.command("destroy")
def destroy_command(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
    purge_data: Annotated[
        bool, typer.Option("--purge-data", help="Also empty and delete the data bucket (asks for its name).")
    ] = False,
    confirm_bucket: Annotated[
        str | None, typer.Option("--confirm-bucket", help="The bucket's name, to purge without a prompt.")
    ] = None,
    stack_name: StackName = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> int:
    """Delete the stack but keep the data (bucket retained, final database snapshot)."""
    target = cloud_target(stack_name, region, profile, endpoint_url)
    info = require_stack(target.aws, target.stack_name)
    if not info.managed:
        raise MfstackError(
            f"The stack '{info.name}' was not created by mfstack (no Metaflow outputs, no mfstack tag); it was left as it is.",
            hint="Delete it with the AWS console or `aws cloudformation delete-stack` if you really mean to.",
        )
    kept = core.kept_resources(target.aws, info.name)
    bucket = _bucket(kept)
    if purge_data:
        if bucket is None:
            raise MfstackError(f"The stack '{info.name}' has no retained data bucket to purge.")
        _confirm_purge(bucket, confirm_bucket)
    console.print(
        f"Deleting stack '{info.name}' ({info.status}). Kept afterwards: {', '.join(k.kind for k in kept) or 'nothing'}."
    )
    if not yes:
        require_answer("Deleting the stack", "--yes")
        if not typer.confirm("Delete the stack?", default=False):
            console.print("Nothing was changed.")
            return 1
    try:
        with EventView(len(kept) + 1, f"Deleting {info.name}") as view:
            result = core.destroy(target.aws, info, on_event=view.on_event)
    except KeyboardInterrupt:
        err_console.print(
            f"Stopped watching. The deletion goes on in AWS; follow it with `mfstack status{target.flags()}`."
        )
        raise typer.Exit(130) from None
    if not result.deleted:
        raise AwsError(
            f"The stack '{info.name}' could not be deleted ({result.status}).",
            hint=f"See why with `mfstack status{target.flags()}`.",
        )
    console.print(f"[green]Stack '{info.name}' deleted.[/]")
    return _report_kept(target.aws, result.kept, bucket if purge_data else None)


def _report_kept(aws: AwsContext, kept: tuple[core.KeptResource, ...], purge: str | None) -> int:
    if purge:
        count = core.purge_bucket(aws, purge)
        console.print(f"Purged s3://{purge}: {count} object versions deleted, bucket removed.", highlight=False)
        kept = tuple(k for k in kept if k.name != purge)
    if not kept:
        console.print("Nothing was kept.")
        return 0
    console.print("Kept (your data), and how to remove it:")
    for k in kept:
        console.print(f"  {k.kind}: {k.name}\n      remove with: {k.remove_with}", highlight=False, soft_wrap=True)
    return 0
