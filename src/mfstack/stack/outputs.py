"""Stack outputs, declared once: output name -> value -> the METAFLOW_* setting it feeds.

The template's Outputs section is generated from `OUTPUTS`, and `mfstack configure` /
`mfstack env` read the same table to turn a deployed stack's outputs into Metaflow settings.
Output names are those of the reference template, so stacks made from it keep working.
"""

from __future__ import annotations

from dataclasses import dataclass

from troposphere import AWSHelperFn, GetAtt, Ref, Sub


@dataclass(frozen=True)
class OutputSpec:
    """One stack output: its name, what it means, the Metaflow key it feeds, and its value."""

    name: str
    description: str
    metaflow_key: str | None = None
    condition: str | None = None
    value: AWSHelperFn | None = None

    @property
    def full_description(self) -> str:
        """The description as written in the template: it names the Metaflow key it feeds."""
        return f"{self.description} [{self.metaflow_key}]" if self.metaflow_key else self.description


NOTEBOOK_URL = Sub(
    "https://${SageMakerNotebookInstance.NotebookInstanceName}.notebook.${AWS::Region}.sagemaker.aws/tree"
)

OUTPUTS: tuple[OutputSpec, ...] = (
    OutputSpec(
        "MetaflowDataStoreS3Url",
        "Amazon S3 URL for the Metaflow datastore",
        "METAFLOW_DATASTORE_SYSROOT_S3",
        value=Sub("s3://${MetaflowS3Bucket}/metaflow"),
    ),
    OutputSpec(
        "MetaflowDataToolsS3Url",
        "Amazon S3 URL for Metaflow data tools",
        "METAFLOW_DATATOOLS_S3ROOT",
        value=Sub("s3://${MetaflowS3Bucket}/data"),
    ),
    OutputSpec(
        "BatchJobQueueArn", "AWS Batch job queue for Metaflow tasks", "METAFLOW_BATCH_JOB_QUEUE", value=Ref("JobQueue")
    ),
    OutputSpec(
        "ECSJobRoleForBatchJobs",
        "IAM role of Metaflow tasks on AWS Batch",
        "METAFLOW_ECS_S3_ACCESS_IAM_ROLE",
        value=GetAtt("BatchS3TaskRole", "Arn"),
    ),
    OutputSpec(
        "ECSFargateExecutionRoleArn",
        "IAM role ECS uses to start Metaflow tasks on Fargate",
        "METAFLOW_ECS_FARGATE_EXECUTION_ROLE",
        value=GetAtt("BatchTaskExecutionRole", "Arn"),
    ),
    OutputSpec(
        "ServiceUrl",
        "URL of the metadata service through API Gateway",
        "METAFLOW_SERVICE_URL",
        value=Sub("https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api/"),
    ),
    OutputSpec(
        "InternalServiceUrl",
        "URL of the metadata service inside the VPC",
        "METAFLOW_SERVICE_INTERNAL_URL",
        value=Sub("http://${NLB.DNSName}/"),
    ),
    OutputSpec(
        "StepFunctionsRoleArn",
        "IAM role for AWS Step Functions",
        "METAFLOW_SFN_IAM_ROLE",
        value=GetAtt("StepFunctionsRole", "Arn"),
    ),
    OutputSpec(
        "EventBridgeRoleArn",
        "IAM role for Amazon EventBridge to start Step Functions",
        "METAFLOW_EVENTS_SFN_ACCESS_IAM_ROLE",
        value=GetAtt("EventBridgeRole", "Arn"),
    ),
    OutputSpec(
        "DDBTableName",
        "DynamoDB table for Step Functions foreach state",
        "METAFLOW_SFN_DYNAMO_DB_TABLE",
        value=Ref("StepFunctionsStateDDB"),
    ),
    OutputSpec(
        "ApiKeyId",
        "API Gateway key id of the metadata service; mfstack configure fetches its value",
        None,
        condition="EnableAuth",
        value=Ref("ApiKey"),
    ),
    OutputSpec(
        "MetaflowUserRoleArn",
        "Restricted IAM role for Metaflow users",
        None,
        condition="EnableRole",
        value=GetAtt("MetaflowUserRole", "Arn"),
    ),
    OutputSpec(
        "SageMakerNoteBookURL",
        "URL of the SageMaker notebook instance",
        None,
        condition="EnableSagemaker",
        value=NOTEBOOK_URL,
    ),
    OutputSpec(
        "MigrationFunctionName",
        "Lambda function that migrates the metadata database schema",
        value=Ref("MigrationFunction"),
    ),
    OutputSpec("VPCId", "VPC id", value=Ref("VPC")),
    OutputSpec("Subnet1Id", "Subnet 1 id", value=Ref("Subnet1")),
    OutputSpec("Subnet2Id", "Subnet 2 id", value=Ref("Subnet2")),
    OutputSpec(
        "RDSSecret",
        "Secrets Manager secret holding the database password (the value is never an output)",
        value=Ref("MyRDSSecret"),
    ),
)

# Settings every Metaflow profile written by mfstack carries, whatever the stack's outputs.
PROFILE_CONSTANTS: dict[str, str] = {
    "METAFLOW_DEFAULT_DATASTORE": "s3",
    "METAFLOW_DEFAULT_METADATA": "service",
}
AUTH_KEY_SETTING = "METAFLOW_SERVICE_AUTH_KEY"
API_KEY_OUTPUT = "ApiKeyId"


def metaflow_settings(outputs: dict[str, str]) -> dict[str, str]:
    """Map a deployed stack's outputs (name -> value) to Metaflow settings (key -> value)."""
    settings = dict(PROFILE_CONSTANTS)
    for spec in OUTPUTS:
        if spec.metaflow_key and spec.name in outputs:
            settings[spec.metaflow_key] = outputs[spec.name]
    return settings
