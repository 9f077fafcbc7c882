"""The one gateway to boto3: sessions and clients with retries, pointed at AWS or an emulator.

Every module that talks to AWS takes an `AwsContext` (injectable), so tests and the local stack
point the same code at a moto server, and a botocore `Stubber` can be attached to its clients.
Credential, token and region failures become `AwsError`s with a one-paragraph message via
`aws_errors()`; throttling is retried with adaptive backoff by botocore and never shown unless
AWS keeps refusing after every retry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import botocore.parsers

from mfstack.errors import AwsError

RETRY_CONFIG = botocore.config.Config(
    retries={"max_attempts": 10, "mode": "adaptive"}, connect_timeout=10, read_timeout=60
)

EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"})
BAD_CREDENTIAL_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "AuthFailure",
        "InvalidAccessKeyId",
    }
)
THROTTLE_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException", "SlowDown"}
)
CREDENTIALS_HINT = (
    "Configure credentials with `aws configure` (or `aws sso login`), set AWS_PROFILE, or pass --profile."
)


@dataclass
class AwsContext:
    """Where AWS calls go: region, named profile, and an endpoint URL (an emulator) if any."""

    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    _session: boto3.session.Session | None = field(default=None, init=False, repr=False)
    _clients: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def session(self) -> boto3.session.Session:
        """The boto3 session (created once); a missing named profile is an AwsError."""
        if self._session is None:
            try:
                self._session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
            except botocore.exceptions.ProfileNotFound as exc:
                raise AwsError(
                    f"The AWS profile '{self.profile}' is not in your AWS config.",
                    hint="List profiles with `aws configure list-profiles`, or drop --profile.",
                ) from exc
        return self._session

    @property
    def region_name(self) -> str:
        """The region calls go to; no region, or a name AWS does not know, is an AwsError."""
        region = self.session.region_name
        if not region:
            raise AwsError(
                "No AWS region is set.",
                hint="Pass --region (e.g. --region us-east-1) or set AWS_DEFAULT_REGION.",
            )
        if self.endpoint_url is None and not _known_region(self.session, region):
            raise AwsError(
                f"'{region}' is not an AWS region CloudFormation runs in.",
                hint="Pass a region such as --region us-east-1 (list them with `aws ec2 describe-regions`).",
            )
        return region

    def client(self, service: str) -> Any:
        """A boto3 client for `service` (cached), with adaptive retries for throttling."""
        if service not in self._clients:
            with aws_errors(f"create a {service} client"):
                self._clients[service] = self.session.client(
                    service,  # type: ignore[call-overload]
                    region_name=self.region_name,
                    endpoint_url=self.endpoint_url,
                    config=RETRY_CONFIG,
                )
        return self._clients[service]

    def where(self) -> str:
        """Human description of the target, for messages: region and emulator endpoint."""
        region = self.session.region_name or "(no region)"
        return f"{region} at {self.endpoint_url}" if self.endpoint_url else region


def _known_region(session: boto3.session.Session, region: str) -> bool:
    for partition in session.get_available_partitions():
        if region in session.get_available_regions("cloudformation", partition_name=partition):
            return True
    return False


def error_code(exc: BaseException) -> str:
    """The AWS error code of a botocore ClientError ('' for anything else)."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def error_message(exc: BaseException) -> str:
    """The AWS error message of a botocore ClientError (str(exc) for anything else)."""
    if isinstance(exc, botocore.exceptions.ClientError):
        return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
    return str(exc)


def translate(exc: Exception, action: str) -> AwsError:
    """Turn a boto3/botocore failure while trying to `action` into a one-paragraph AwsError."""
    code = error_code(exc)
    if isinstance(exc, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError):
        return AwsError("No AWS credentials were found, so mfstack cannot talk to AWS.", hint=CREDENTIALS_HINT)
    sso_errors = (
        botocore.exceptions.TokenRetrievalError,
        botocore.exceptions.UnauthorizedSSOTokenError,
        botocore.exceptions.SSOTokenLoadError,
    )
    if isinstance(exc, sso_errors):
        return AwsError("Your AWS SSO session has expired or was never started.", hint="Run `aws sso login` and retry.")
    if code in EXPIRED_CODES:
        return AwsError(
            "Your AWS credentials have expired (the session token is no longer valid).",
            hint="Refresh them (`aws sso login`, or get a new session token) and retry.",
        )
    if code in BAD_CREDENTIAL_CODES:
        return AwsError(
            f"AWS rejected your credentials ({code}): the access key is unknown or the secret is wrong.",
            hint=CREDENTIALS_HINT,
        )
    if code in THROTTLE_CODES:
        return AwsError(
            f"AWS kept throttling the request to {action} after every retry.", hint="Wait a minute and retry."
        )
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return AwsError(
            f"Could not reach AWS to {action} ({exc}).",
            hint="Check the region (--region), the network, or the --endpoint-url of your emulator.",
        )
    if isinstance(exc, botocore.exceptions.ClientError):
        return AwsError(f"AWS refused to {action}: {error_message(exc)} ({code}).")
    if isinstance(exc, botocore.parsers.ResponseParserError):
        return AwsError(
            f"Could not {action}: the endpoint sent an answer that is not AWS's format.",
            hint="An emulator may not support this operation; against AWS, retry.",
        )
    return AwsError(f"Could not {action}: {exc}.")


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Run AWS calls; any botocore failure becomes an AwsError saying what was being done."""
    try:
        yield
    except (
        botocore.exceptions.BotoCoreError,
        botocore.exceptions.ClientError,
        botocore.parsers.ResponseParserError,
    ) as exc:
        raise translate(exc, action) from exc
