"""Fixtures for the metadata service tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.service.helpers import drop_created_databases


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """Leave the PostgreSQL server as found: drop every database the service tests created."""
    yield
    drop_created_databases()
