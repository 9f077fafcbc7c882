"""`mfstack role grant|revoke|list`: who may assume the stack's restricted user role."""

from __future__ import annotations

from typing import Annotated

import typer

from mfstack import profile as profiles
from mfstack import roles
from mfstack.cli.app import app, console
from mfstack.cli.options import CloudTarget, EndpointUrl, Profile, Region, StackName, cloud_target
from mfstack.deploy.stackinfo import require_stack
from mfstack.errors import MfstackError

role_app = typer.Typer(help="Grant, revoke and list who may assume the stack's restricted user role (CustomRole=true).")
app.add_typer(role_app, name="role")

Principal = Annotated[str, typer.Argument(help="IAM principal ARN, e.g. arn:aws:iam::123456789012:user/alice.")]
AwsProfileName = Annotated[
    str | None, typer.Option("--aws-profile", help="Also write an AWS CLI profile NAME that assumes the role.")
]
SourceProfile = Annotated[str, typer.Option("--source-profile", help="Profile whose credentials assume the role.")]


def _role_arn(target: CloudTarget) -> str:
    info = require_stack(target.aws, target.stack_name)
    arn = info.outputs.get(roles.ROLE_OUTPUT, "")
    if not arn:
        raise MfstackError(
            f"The stack '{target.stack_name}' has no user role (output {roles.ROLE_OUTPUT}).",
            hint="Create it with `mfstack deploy --set CustomRole=true`.",
        )
    return arn


def _aws_profile(name: str | None, role_arn: str, source: str, target: CloudTarget) -> None:
    if not name:
        return
    region = target.aws.region or target.aws.session.region_name
    written = profiles.write_aws_role_profile(name, role_arn, source, region)
    verb = "Updated" if written.replaced else "Added"
    console.print(
        f"{verb} [{written.section}] in {written.path}; use it with AWS_PROFILE={name}.", markup=False, highlight=False
    )
    if written.backup:
        console.print(f"The previous file was kept as {written.backup}.", highlight=False)


@role_app.command("grant")
def grant(
    principal: Principal,
    aws_profile: AwsProfileName = None,
    source_profile: SourceProfile = "default",
    stack_name: StackName = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> int:
    """Allow PRINCIPAL to assume the user role (no change when it already may)."""
    roles.validate_principal(principal)
    target = cloud_target(stack_name, region, profile, endpoint_url)
    arn = _role_arn(target)
    change = roles.grant(target.aws, arn, principal)
    console.print(
        f"{'Granted' if change.changed else 'Already granted:'} {principal} may assume {arn}.", highlight=False
    )
    _aws_profile(aws_profile, arn, source_profile, target)
    return 0


@role_app.command("revoke")
def revoke(
    principal: Principal,
    stack_name: StackName = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> int:
    """Stop PRINCIPAL from assuming the user role (no change when it could not)."""
    roles.validate_principal(principal)
    target = cloud_target(stack_name, region, profile, endpoint_url)
    arn = _role_arn(target)
    change = roles.revoke(target.aws, arn, principal)
    console.print(f"{'Revoked' if change.changed else 'Not granted:'} {principal} for {arn}.", highlight=False)
    return 0


@role_app.command("list")
def list_(
    stack_name: StackName = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> int:
    """List the principals allowed to assume the user role."""
    target = cloud_target(stack_name, region, profile, endpoint_url)
    arn = _role_arn(target)
    console.print(f"Principals that may assume {arn}:", highlight=False)
    for p in roles.list_principals(target.aws, arn):
        console.print(f"  {p}", highlight=False)
    return 0
