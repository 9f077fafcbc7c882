"""Destroying a stack while keeping its data, and purging the data bucket on explicit request.

Resources the template marks `DeletionPolicy: Retain` (the bucket) outlive the stack, and
`Snapshot` (the database) leaves a final snapshot; `kept_resources` lists them before deletion
so the user is told exactly what stays and how to remove it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mfstack.aws import AwsContext, aws_errors
from mfstack.deploy.events import StackEvent, Watch, baseline
from mfstack.deploy.stackinfo import StackInfo, stack_template
from mfstack.errors import AwsError


@dataclass(frozen=True)
class KeptResource:
    """Something that outlives the stack, and the command that removes it."""

    logical_id: str
    kind: str
    name: str
    remove_with: str


@dataclass(frozen=True)
class DestroyResult:
    """How a destroy ended."""

    deleted: bool
    status: str
    kept: tuple[KeptResource, ...]
    events: tuple[StackEvent, ...]


def _physical_ids(aws: AwsContext, stack: str) -> dict[str, str]:
    cfn = aws.client("cloudformation")
    out: dict[str, str] = {}
    with aws_errors(f"list the resources of the stack '{stack}'"):
        for page in cfn.get_paginator("list_stack_resources").paginate(StackName=stack):
            for r in page.get("StackResourceSummaries", []):
                out[r["LogicalResourceId"]] = r.get("PhysicalResourceId", "")
    return out


RETAINED: dict[str, tuple[str, str]] = {
    "AWS::S3::Bucket": ("S3 bucket (your Metaflow data)", "aws s3 rb s3://{id} --force (deletes every object in it)"),
    "AWS::DynamoDB::Table": ("DynamoDB table", "aws dynamodb delete-table --table-name {id}"),
    "AWS::SecretsManager::Secret": ("database password secret", "aws secretsmanager delete-secret --secret-id {id}"),
    "AWS::Logs::LogGroup": ("CloudWatch log group", "aws logs delete-log-group --log-group-name {id}"),
}


def _kept(logical_id: str, resource: dict[str, Any], physical: str) -> KeptResource | None:
    policy = resource.get("DeletionPolicy", "")
    rtype = resource.get("Type", "")
    if policy == "Retain":
        kind, command = RETAINED.get(rtype, (rtype, "delete it in the AWS console ({type})"))
        return KeptResource(logical_id, kind, physical, command.format(id=physical, type=rtype))
    if policy == "Snapshot" and rtype in ("AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
        return KeptResource(
            logical_id,
            "final database snapshot",
            f"snapshot of {physical}",
            f"aws rds describe-db-snapshots --db-instance-identifier {physical}, then aws rds delete-db-snapshot",
        )
    return None


def kept_resources(aws: AwsContext, stack: str) -> list[KeptResource]:
    """What the stack's template keeps when the stack is deleted (existing resources only)."""
    resources = stack_template(aws, stack).get("Resources") or {}
    physical = _physical_ids(aws, stack)
    kept = [_kept(lid, res, physical[lid]) for lid, res in resources.items() if physical.get(lid)]
    return [k for k in kept if k is not None]


def destroy(
    aws: AwsContext,
    info: StackInfo,
    on_event: Callable[[StackEvent], None] = lambda _e: None,
    poll_seconds: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> DestroyResult:
    """Delete the stack (keeping retained data) and follow it until it is gone or fails."""
    kept = tuple(kept_resources(aws, info.name))
    since, seen = baseline(aws, info.stack_id)
    with aws_errors(f"delete the stack '{info.name}'"):
        aws.client("cloudformation").delete_stack(StackName=info.stack_id)
    watch = Watch(
        aws,
        info.name,
        since,
        on_event,
        poll_seconds=poll_seconds,
        sleep=sleep,
        stack_id_or_name=info.stack_id,
        seen=seen,
    )
    final = watch.run()
    status = final.status if final else "DELETE_COMPLETE"
    return DestroyResult(final is None, status, kept, tuple(watch.history))


def purge_bucket(aws: AwsContext, bucket: str) -> int:
    """Delete every object version and delete marker in `bucket`, then the bucket; return the count."""
    s3 = aws.client("s3")
    count = 0
    with aws_errors(f"empty and delete the bucket {bucket}"):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            items = [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            batch = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in items]
            for start in range(0, len(batch), 1000):
                chunk = batch[start : start + 1000]
                resp = s3.delete_objects(Bucket=bucket, Delete={"Objects": chunk, "Quiet": True})
                if resp.get("Errors"):
                    err = resp["Errors"][0]
                    raise AwsError(
                        f"Could not delete s3://{bucket}/{err['Key']}: {err.get('Message', err.get('Code'))}."
                    )
                count += len(chunk)
        s3.delete_bucket(Bucket=bucket)
    return count
