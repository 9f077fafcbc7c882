"""`doctor` checks against real parts: a moto server over HTTP for S3, DynamoDB, IAM and Batch,
and the project's real metadata service (`mfstack service`, SQLite) started on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from deploy_testkit import body, free_port, small_template, start_service

from mfstack import doctor
from mfstack.aws import AwsContext
from mfstack.deploy import apply, plan, stackinfo

KEY = "doctor-test-key-0123456789"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = start_service(tmp_path_factory.mktemp("svc"), KEY)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def open_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = start_service(tmp_path_factory.mktemp("svc-open"), None)
    yield url
    proc.terminate()
    proc.wait(timeout=30)


def _outputs(aws: AwsContext, name: str, service_url: str) -> dict[str, str]:
    req = plan.PlanRequest(
        name,
        body(small_template(batch=True)),
        {"TableName": f"{name}-t", "ServiceUrlValue": service_url, "ApiKeyIdValue": "k"},
        {},
    )
    apply.execute(aws, plan.create_plan(aws, req, sleep=lambda _s: None), apply.ApplyOptions(sleep=lambda _s: None))
    return stackinfo.require_stack(aws, name).outputs


def test_healthy_stack_passes_every_check(aws: AwsContext, stack_name: str, service: str) -> None:
    target = doctor.target_from_outputs(_outputs(aws, stack_name, service), KEY)
    results = doctor.run_checks(target, aws)
    names = [r.name for r in results]
    assert names[:6] == [
        "S3 datastore read/write",
        "metadata service /ping",
        "metadata service refuses requests without the key",
        "DynamoDB table",
        "Batch job queue",
        "Batch compute environment",
    ]
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    assert "VALID and ENABLED" in results[4].detail and "VALID and ENABLED" in results[5].detail
    assert sum(n.startswith("IAM role") for n in names) == 2
    assert "service version" in results[1].detail


def test_failures_each_come_with_a_hint(aws: AwsContext, stack_name: str, service: str, open_service: str) -> None:
    outputs = _outputs(aws, stack_name, service)
    bad = doctor.DoctorTarget(
        datastore_root="s3://no-such-bucket-mfstack/metaflow",
        service_url=service,
        api_key="wrong-key",
        auth_expected=True,
        dynamodb_table="no-such-table",
        batch_job_queue="arn:aws:batch:us-east-1:123456789012:job-queue/none",
        role_arns=("arn:aws:iam::123456789012:role/missing",),
    )
    results = doctor.run_checks(bad, aws)
    assert [r.ok for r in results] == [False] * len(results) and len(results) == 5
    assert all(r.hint for r in results)
    assert "HTTP 403" in results[1].detail
    unprotected = doctor.run_checks(
        doctor.DoctorTarget(outputs["MetaflowDataStoreS3Url"], open_service, None, True), aws
    )
    assert [r.ok for r in unprotected] == [True, True, False]
    assert "APIBasicAuth" in unprotected[2].hint


def test_unreachable_service(aws: AwsContext) -> None:
    target = doctor.DoctorTarget(None, f"http://127.0.0.1:{free_port()}", KEY, True)
    [result] = doctor.run_checks(target, aws)
    assert not result.ok and "cannot be reached" in result.detail
