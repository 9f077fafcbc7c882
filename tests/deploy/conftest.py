"""Fixtures of the deploy tests: an AwsContext pointed at the session's real moto server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from deploy_testkit import patch_moto_change_set_outputs

from mfstack.aws import AwsContext


@pytest.fixture(scope="session", autouse=True)
def _moto_outputs() -> Iterator[None]:
    yield from patch_moto_change_set_outputs()


@pytest.fixture
def aws(aws_env: None, moto_server: str) -> AwsContext:
    """A fresh gateway to the moto server (fake credentials, us-east-1)."""
    return AwsContext(region="us-east-1", endpoint_url=moto_server)


@pytest.fixture
def stack_name() -> str:
    """A stack name no other test uses (the moto server lives for the whole session)."""
    return f"mf-{uuid.uuid4().hex[:8]}"
