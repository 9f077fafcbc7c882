"""Template bodies: reading a user's file, its declared parameters, and staging large ones in S3.

CloudFormation takes at most 51,200 bytes inline (`TemplateBody`); a larger template is put in
an S3 bucket of the account and passed by `TemplateURL`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from mfstack.aws import AwsContext, aws_errors, error_code
from mfstack.errors import MfstackError

INLINE_LIMIT = 51_200


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that reads CloudFormation short forms (!Ref, !Sub, ...) as plain data."""


def _cfn_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _cfn_tag)


def load_template(body: str) -> dict[str, Any]:
    """Parse a JSON or YAML template body into a dict; anything else is an MfstackError."""
    try:
        data = json.loads(body) if body.lstrip().startswith("{") else yaml.load(body, Loader=_CfnLoader)
    except (ValueError, yaml.YAMLError) as exc:
        raise MfstackError(f"The template is neither valid JSON nor valid YAML ({exc}).") from exc
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise MfstackError("The template has no Resources section, so it is not a CloudFormation template.")
    return data


def read_template_file(path: Path) -> str:
    """The text of a template file given with --template, checked to be a template."""
    try:
        body = path.read_text()
    except OSError as exc:
        raise MfstackError(f"Cannot read the template file {path} ({exc.strerror}).") from exc
    load_template(body)
    return body


def declared_parameters(body: str) -> set[str]:
    """Names of the parameters a template declares."""
    return set((load_template(body).get("Parameters") or {}).keys())


def compact(body: str) -> str:
    """A JSON template without indentation (same content, fewer bytes); YAML is returned as it is."""
    if not body.lstrip().startswith("{"):
        return body
    return json.dumps(json.loads(body), separators=(",", ":"))


def template_argument(aws: AwsContext, body: str, stack_name: str) -> dict[str, str]:
    """`TemplateBody=...` when small enough (compacted if need be), else `TemplateURL=...` after staging it in S3."""
    if len(body.encode()) > INLINE_LIMIT:
        body = compact(body)
    if len(body.encode()) <= INLINE_LIMIT:
        return {"TemplateBody": body}
    return {"TemplateURL": stage_template(aws, body, stack_name)}


def staging_bucket(aws: AwsContext) -> str:
    """The account's bucket for large templates: mfstack-templates-ACCOUNT-REGION."""
    with aws_errors("look up your AWS account id"):
        account = aws.client("sts").get_caller_identity()["Account"]
    return f"mfstack-templates-{account}-{aws.region_name}"


def stage_template(aws: AwsContext, body: str, stack_name: str) -> str:
    """Upload `body` to the staging bucket (created private if missing) and return its URL."""
    s3 = aws.client("s3")
    bucket = staging_bucket(aws)
    key = f"{stack_name}/{hashlib.sha256(body.encode()).hexdigest()}.template"
    with aws_errors(f"stage the template in the S3 bucket {bucket}"):
        _ensure_bucket(aws, bucket)
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ServerSideEncryption="AES256")
    # CloudFormation fetches the template itself, so the URL is AWS's form even behind an emulator.
    return f"https://{bucket}.s3.{aws.region_name}.amazonaws.com/{key}"


def _ensure_bucket(aws: AwsContext, bucket: str) -> None:
    s3 = aws.client("s3")
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except Exception as exc:
        if error_code(exc) not in ("404", "NoSuchBucket", "NotFound"):
            raise
    region = aws.region_name
    extra = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **extra)
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
