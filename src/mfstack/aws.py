"""The one gateway to boto3: sessions and clients with retries, pointed at AWS or an emulator.

Every module that talks to AWS takes an `AwsContext` (injectable), so tests and the local stack
point the same code at a moto server, and a botocore `Stubber` can be attached to its clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.config
import botocore.exceptions

from mfstack.errors import AwsError

RETRY_CONFIG = botocore.config.Config(retries={"max_attempts": 10, "mode": "adaptive"}, connect_timeout=10, read_timeout=60)


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
        """The region calls go to; no region anywhere is an AwsError."""
        region = self.session.region_name
        if not region:
            raise AwsError(
                "No AWS region is set.",
                hint="Pass --region (e.g. --region us-east-1) or set AWS_DEFAULT_REGION.",
            )
        return region

    def client(self, service: str) -> Any:
        """A boto3 client for `service` (cached), with adaptive retries for throttling."""
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service,  # type: ignore[call-overload]
                region_name=self.region_name,
                endpoint_url=self.endpoint_url,
                config=RETRY_CONFIG,
            )
        return self._clients[service]
