"""Does a stack work for a Metaflow user? Checks shared by `mfstack doctor` and the local stack.

Each check returns a `CheckResult` (never raises for a failed check): S3 put/get/delete under
the datastore root, the metadata service `/ping` with the key (and refused without it when auth
is on), the DynamoDB table ACTIVE, the Batch queue and its compute environments VALID and
ENABLED, and the roles present.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from mfstack.aws import AwsContext, error_code, error_message
from mfstack.stack.outputs import metaflow_settings

SERVICE_TIMEOUT = 10.0
ROLE_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/\S+$")


@dataclass(frozen=True)
class CheckResult:
    """One line of the doctor's report."""

    name: str
    ok: bool
    detail: str
    hint: str = ""


@dataclass(frozen=True)
class DoctorTarget:
    """What to check; None or empty skips the checks of that part."""

    datastore_root: str | None
    service_url: str | None
    api_key: str | None
    auth_expected: bool
    dynamodb_table: str | None = None
    batch_job_queue: str | None = None
    role_arns: tuple[str, ...] = field(default_factory=tuple)


def target_from_outputs(outputs: Mapping[str, str], api_key: str | None) -> DoctorTarget:
    """The doctor target of a deployed stack, from its outputs and API key value."""
    settings = metaflow_settings(dict(outputs))
    roles = sorted({v for v in outputs.values() if ROLE_ARN.match(v)})  # every role the stack publishes
    return DoctorTarget(
        datastore_root=settings.get("METAFLOW_DATASTORE_SYSROOT_S3"),
        service_url=settings.get("METAFLOW_SERVICE_URL"),
        api_key=api_key,
        auth_expected=bool(outputs.get("ApiKeyId")),
        dynamodb_table=settings.get("METAFLOW_SFN_DYNAMO_DB_TABLE"),
        batch_job_queue=settings.get("METAFLOW_BATCH_JOB_QUEUE"),
        role_arns=tuple(roles),
    )


def run_checks(target: DoctorTarget, aws: AwsContext) -> list[CheckResult]:
    """Run every check that applies to `target`, in a fixed order."""
    checks: list[Callable[[], list[CheckResult]]] = []
    if target.datastore_root:
        checks.append(lambda: [check_s3(aws, target.datastore_root or "")])
    if target.service_url:
        checks.append(lambda: check_service(target))
    if target.dynamodb_table:
        checks.append(lambda: [check_dynamodb(aws, target.dynamodb_table or "")])
    if target.batch_job_queue:
        checks.append(lambda: check_batch(aws, target.batch_job_queue or ""))
    if target.role_arns:
        checks.append(lambda: [check_role(aws, arn) for arn in target.role_arns])
    results: list[CheckResult] = []
    for check in checks:
        results.extend(check())
    return results


def _aws_failure(name: str, exc: Exception, hint: str) -> CheckResult:
    code = error_code(exc)
    return CheckResult(name, False, f"{error_message(exc)}" + (f" ({code})" if code else ""), hint)


def check_s3(aws: AwsContext, root: str) -> CheckResult:
    """Put, read back and delete a small object under the datastore root."""
    name = "S3 datastore read/write"
    bucket, _, prefix = root.removeprefix("s3://").partition("/")
    key = f"{prefix.rstrip('/')}/mfstack-doctor/{uuid.uuid4().hex}".lstrip("/")
    payload = uuid.uuid4().bytes
    try:
        s3 = aws.client("s3")
        s3.put_object(Bucket=bucket, Key=key, Body=payload)
        read = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        s3.delete_object(Bucket=bucket, Key=key)
    except Exception as exc:
        return _aws_failure(name, exc, f"Check that the bucket {bucket} exists and your credentials may write to it.")
    if read != payload:
        return CheckResult(
            name,
            False,
            f"s3://{bucket}/{key} returned other bytes than were written.",
            "Check the bucket's lifecycle rules or object lock.",
        )
    return CheckResult(name, True, f"put, get and delete under {root}")


def _ping(url: str, api_key: str | None) -> httpx.Response:
    headers = {"x-api-key": api_key} if api_key else {}
    return httpx.get(f"{url.rstrip('/')}/ping", headers=headers, timeout=SERVICE_TIMEOUT)


def check_service(target: DoctorTarget) -> list[CheckResult]:
    """`/ping` answers with the key; and, when auth is on, refuses a request without it."""
    url = target.service_url or ""
    name = "metadata service /ping"
    try:
        resp = _ping(url, target.api_key)
    except httpx.HTTPError as exc:
        return [
            CheckResult(
                name,
                False,
                f"{url} cannot be reached ({exc}).",
                "Check the service URL and that the service is running.",
            )
        ]
    if resp.status_code != 200:
        hint = (
            "Check the API key (`mfstack configure --force` refreshes it)."
            if resp.status_code == 403
            else "Look at the service's logs."
        )
        return [CheckResult(name, False, f"{url}/ping answered HTTP {resp.status_code}.", hint)]
    version = resp.headers.get("METADATA_SERVICE_VERSION", "unknown")
    results = [CheckResult(name, True, f"{url}/ping answered 200 (service version {version})")]
    if target.auth_expected:
        results.append(_check_refused(url))
    return results


def _check_refused(url: str) -> CheckResult:
    name = "metadata service refuses requests without the key"
    try:
        resp = _ping(url, None)
    except httpx.HTTPError as exc:
        return CheckResult(name, False, f"{url} cannot be reached ({exc}).", "Check the service URL.")
    if resp.status_code == 403:
        return CheckResult(name, True, "a request without x-api-key was refused (403)")
    return CheckResult(
        name,
        False,
        f"a request without x-api-key got HTTP {resp.status_code}.",
        "Turn API key auth on (APIBasicAuth=true) and deploy again.",
    )


def check_dynamodb(aws: AwsContext, table: str) -> CheckResult:
    """The Step Functions state table exists and is ACTIVE."""
    name = "DynamoDB table"
    try:
        status = aws.client("dynamodb").describe_table(TableName=table)["Table"]["TableStatus"]
    except Exception as exc:
        return _aws_failure(name, exc, f"Check that the table {table} exists in this region.")
    if status != "ACTIVE":
        return CheckResult(name, False, f"{table} is {status}, not ACTIVE.", "Wait a minute and run doctor again.")
    return CheckResult(name, True, f"{table} is ACTIVE")


def check_batch(aws: AwsContext, queue: str) -> list[CheckResult]:
    """The job queue and each of its compute environments are VALID and ENABLED."""
    try:
        batch = aws.client("batch")
        queues = batch.describe_job_queues(jobQueues=[queue])["jobQueues"]
        if not queues:
            return [
                CheckResult("Batch job queue", False, f"{queue} does not exist.", "Check the region, or deploy again.")
            ]
        q = queues[0]
        envs = [e["computeEnvironment"] for e in q.get("computeEnvironmentOrder", [])]
        described = batch.describe_compute_environments(computeEnvironments=envs)["computeEnvironments"] if envs else []
    except Exception as exc:
        return [_aws_failure("Batch job queue", exc, "Check that your credentials may describe AWS Batch.")]
    results = [
        _valid_enabled(
            "Batch job queue",
            q.get("jobQueueName", queue),
            q.get("status", ""),
            q.get("state", ""),
            q.get("statusReason", ""),
        )
    ]
    for env in described:
        results.append(
            _valid_enabled(
                "Batch compute environment",
                env["computeEnvironmentName"],
                env.get("status", ""),
                env.get("state", ""),
                env.get("statusReason", ""),
            )
        )
    if not described:
        results.append(
            CheckResult("Batch compute environment", False, f"{queue} has no compute environment.", "Deploy again.")
        )
    return results


def _valid_enabled(name: str, what: str, status: str, state: str, reason: str) -> CheckResult:
    if status == "VALID" and state == "ENABLED":
        return CheckResult(name, True, f"{what} is VALID and ENABLED")
    why = f" ({reason})" if reason else ""
    return CheckResult(
        name,
        False,
        f"{what} is {status or '?'} and {state or '?'}{why}.",
        "Look at it in the AWS Batch console; an INVALID environment names its cause there.",
    )


def check_role(aws: AwsContext, arn: str) -> CheckResult:
    """The IAM role exists."""
    role = arn.rsplit("/", 1)[-1]
    try:
        aws.client("iam").get_role(RoleName=role)
    except Exception as exc:
        return _aws_failure(f"IAM role {role}", exc, "Deploy again to recreate it.")
    return CheckResult(f"IAM role {role}", True, "present")
