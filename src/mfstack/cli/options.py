"""Options shared by the commands that talk to a deployed stack, and their AwsContext."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated, ParamSpec, TypeVar

import typer

from mfstack.aws import AwsContext
from mfstack.errors import MfstackError

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_STACK = "metaflow"

StackName = Annotated[
    str | None,
    typer.Option("--stack-name", help=f"CloudFormation stack name (default: {DEFAULT_STACK}).", show_default=False),
]
Region = Annotated[
    str | None, typer.Option("--region", help="AWS region (default: your AWS config / AWS_DEFAULT_REGION).")
]
Profile = Annotated[str | None, typer.Option("--profile", help="Named AWS profile to use for credentials.")]
EndpointUrl = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url", envvar="MFSTACK_ENDPOINT_URL", help="Send AWS calls to this endpoint (an AWS emulator)."
    ),
]


@dataclass(frozen=True)
class CloudTarget:
    """The stack a command works on, and the gateway to its account and region."""

    stack_name: str
    aws: AwsContext

    def flags(self) -> str:
        """The options to repeat in a follow-up command shown to the user."""
        parts = [] if self.stack_name == DEFAULT_STACK else [f"--stack-name {self.stack_name}"]
        if self.aws.region:
            parts.append(f"--region {self.aws.region}")
        if self.aws.profile:
            parts.append(f"--profile {self.aws.profile}")
        if self.aws.endpoint_url:
            parts.append(f"--endpoint-url {self.aws.endpoint_url}")
        return (" " + " ".join(parts)) if parts else ""


def cloud_target(
    stack_name: str | None, region: str | None, profile: str | None, endpoint_url: str | None
) -> CloudTarget:
    """The target of a cloud command, from its shared options."""
    return CloudTarget(
        stack_name or DEFAULT_STACK, AwsContext(region=region, profile=profile, endpoint_url=endpoint_url)
    )


def cloud_options_given(*values: str | None) -> bool:
    """True when any of --stack-name/--region/--profile/--endpoint-url was given."""
    return any(v is not None for v in values)


def interactive() -> bool:
    """True when a person can answer a prompt (stdin is a terminal)."""
    return sys.stdin.isatty()


def require_answer(what: str, flag: str) -> None:
    """Refuse to prompt when nobody can answer; tell which flag skips the question."""
    if not interactive():
        raise MfstackError(
            f"{what} needs a confirmation, and stdin is not a terminal.", hint=f"Pass {flag} to confirm."
        )
