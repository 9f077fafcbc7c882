"""The AWS resources of the local stack, named as CloudFormation names them in the cloud stack.

CloudFormation gives a resource without an explicit name the physical name
`<stack>-<LogicalId>-<SUFFIX>` (lower case for buckets). The local stack uses the same logical
ids as the template, the stack name `metaflow` and a suffix fixed per data dir, so a profile
written for the local stack looks like one written for a deployed stack.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from mfstack.stack.outputs import AUTH_KEY_SETTING, PROFILE_CONSTANTS

STACK_NAME = "metaflow"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # the account the emulator answers for
LOCAL_S3_WORKERS = 2
DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "mfstack-local", "AWS_SECRET_ACCESS_KEY": "mfstack-local"}

# Variables that would make boto3 use the user's real AWS identity or configuration.
AWS_IDENTITY_VARS: tuple[str, ...] = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CA_BUNDLE",
)

# Logical ids of the cloud template (the data-holding ones are fixed by the design).
BUCKET_ID = "MetaflowS3Bucket"
TABLE_ID = "StepFunctionsStateDDB"
BATCH_TASK_ROLE_ID = "BatchS3TaskRole"
TASK_EXECUTION_ROLE_ID = "BatchTaskExecutionRole"
SFN_ROLE_ID = "StepFunctionsRole"
EVENTS_ROLE_ID = "EventBridgeRole"
BATCH_SERVICE_ROLE_ID = "BatchExecutionRole"
INSTANCE_ROLE_ID = "ECSInstanceRole"
COMPUTE_ENV_ID = "ComputeEnvironment"
JOB_QUEUE_ID = "JobQueue"

LOCAL_BUCKET_PREFIX = f"s3://{STACK_NAME}-{BUCKET_ID.lower()}-"  # how a local stack's datastore root starts

ROLE_PRINCIPALS: dict[str, str] = {
    BATCH_TASK_ROLE_ID: "ecs-tasks.amazonaws.com",
    TASK_EXECUTION_ROLE_ID: "ecs-tasks.amazonaws.com",
    SFN_ROLE_ID: "states.amazonaws.com",
    EVENTS_ROLE_ID: "events.amazonaws.com",
    BATCH_SERVICE_ROLE_ID: "batch.amazonaws.com",
}


def physical_name(logical_id: str, suffix: str, limit: int = 64) -> str:
    """The name CloudFormation would give `logical_id` in stack `metaflow`."""
    head = f"{STACK_NAME}-{logical_id}"
    return f"{head[: limit - len(suffix) - 1]}-{suffix}"


@dataclass(frozen=True)
class LocalResources:
    """Names and ARNs of everything the emulator holds for one data dir."""

    suffix: str

    @classmethod
    def for_data_dir(cls, root: Path) -> LocalResources:
        """Resources whose names are stable for this data dir (so profiles and data line up)."""
        digest = hashlib.sha256(str(root).encode()).hexdigest()
        return cls(suffix=digest[:13].upper())

    @property
    def bucket(self) -> str:
        return physical_name(BUCKET_ID, self.suffix, limit=63).lower()

    @property
    def table(self) -> str:
        return physical_name(TABLE_ID, self.suffix, limit=255)

    def role_name(self, logical_id: str) -> str:
        return physical_name(logical_id, self.suffix)

    def role_arn(self, logical_id: str) -> str:
        return f"arn:aws:iam::{ACCOUNT_ID}:role/{self.role_name(logical_id)}"

    @property
    def compute_environment(self) -> str:
        return physical_name(COMPUTE_ENV_ID, self.suffix, limit=128)

    @property
    def job_queue(self) -> str:
        return physical_name(JOB_QUEUE_ID, self.suffix, limit=128)

    @property
    def job_queue_arn(self) -> str:
        return f"arn:aws:batch:{REGION}:{ACCOUNT_ID}:job-queue/{self.job_queue}"

    @property
    def datastore_root(self) -> str:
        return f"s3://{self.bucket}/metaflow"

    @property
    def datatools_root(self) -> str:
        return f"s3://{self.bucket}/data"


def emulated_aws_env(base: Mapping[str, str]) -> dict[str, str]:
    """`base` with the user's AWS identity and config replaced by dummy credentials and us-east-1."""
    env = {k: v for k, v in base.items() if k not in AWS_IDENTITY_VARS}
    env.update(DUMMY_CREDENTIALS)
    env.update(
        {
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
    )
    return env


def profile_settings(resources: LocalResources, emulator_url: str, service_url: str, api_key: str) -> dict[str, str]:
    """Every setting a cloud profile has, pointing at the local stack, plus the S3 endpoint and workers."""
    settings = dict(PROFILE_CONSTANTS)
    settings.update(
        {
            "METAFLOW_DATASTORE_SYSROOT_S3": resources.datastore_root,
            "METAFLOW_DATATOOLS_S3ROOT": resources.datatools_root,
            "METAFLOW_SERVICE_URL": service_url,
            "METAFLOW_SERVICE_INTERNAL_URL": service_url,
            AUTH_KEY_SETTING: api_key,
            "METAFLOW_SFN_DYNAMO_DB_TABLE": resources.table,
            "METAFLOW_SFN_IAM_ROLE": resources.role_arn(SFN_ROLE_ID),
            "METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE": resources.role_arn(EVENTS_ROLE_ID),
            "METAFLOW_BATCH_JOB_QUEUE": resources.job_queue_arn,
            "METAFLOW_ECS_S3_ACCESS_IAM_ROLE": resources.role_arn(BATCH_TASK_ROLE_ID),
            "METAFLOW_ECS_FARGATE_EXECUTION_ROLE": resources.role_arn(TASK_EXECUTION_ROLE_ID),
            "METAFLOW_S3_ENDPOINT_URL": emulator_url,
            # One emulator process answers every S3 call: Metaflow's default of up to 64 forked
            # workers per transfer only adds process start-up (a foreach(8) flow ran ~20% faster).
            "METAFLOW_S3_WORKER_COUNT": str(LOCAL_S3_WORKERS),
        }
    )
    return settings
