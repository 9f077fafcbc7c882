"""Fuzz every operation of `/openapi.json` with schemathesis (bounded example counts): whatever
the caller sends, the service never answers 5xx, and errors are JSON."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from tests.service.helpers import API_KEY, Service, fresh_pg_database, running

from mfstack.service import openapi

EXAMPLES_PER_OPERATION = 12  # per operation and per mode (valid input, then invalid input)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    tmp: Path = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    db = (
        f"sqlite:///{tmp}/m.db"
        if request.param == "sqlite"
        else fresh_pg_database(request.getfixturevalue("pg_dsn"), "mffuzz")
    )
    with running(db, tmp, extra=["--no-access-log"]) as svc, svc.client() as c:
        # a few real objects, so that generated ids sometimes hit existing rows
        c.post("/flows/F", json={})
        c.post("/flows/F/run", json={})
        c.post("/flows/F/runs/1/steps/s/step", json={})
        c.post("/flows/F/runs/1/steps/s/task", json={})
        yield svc


def test_no_operation_answers_a_server_error(service: Service) -> None:
    with service.client() as c:
        schema = schemathesis.openapi.from_dict(c.get("/openapi.json").json())
    failures: list[str] = []
    calls: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation, mode in [(op, mode) for op in operations for mode in GenerationMode]:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def call(case: schemathesis.Case) -> None:
            response = case.call(base_url=service.url, headers={"x-api-key": API_KEY})
            calls.append(response.status_code)
            if response.status_code >= 500 or "Traceback" in response.text:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")
            elif response.status_code >= 400:
                assert "message" in response.json()

        call()
    assert not failures, "\n".join(failures[:20])
    assert len(operations) == len(openapi.OPERATIONS) and len(calls) >= len(operations) * 2
    assert any(code == 200 for code in calls) and any(400 <= code < 500 for code in calls)
