"""Datastore: the S3 bucket Metaflow keeps artifacts and code packages in.

Private, encrypted, public access blocked, TLS-only, versioned (old versions expire), and kept
when the stack is deleted or the bucket would be replaced.
"""

from __future__ import annotations

from awacs.aws import Bool, Condition, Deny, Principal, Statement
from troposphere import GetAtt, Ref, Sub, Template, s3

from mfstack.stack.common import actions, checkov_skip, policy

BUCKET = "MetaflowS3Bucket"
NONCURRENT_DAYS = 30


def bucket_arn() -> GetAtt:
    """ARN of the datastore bucket."""
    return GetAtt(BUCKET, "Arn")


def objects_arn() -> Sub:
    """ARN of every object in the datastore bucket."""
    return Sub(f"${{{BUCKET}.Arn}}/*")


def _bucket() -> s3.Bucket:
    return s3.Bucket(
        BUCKET,
        DeletionPolicy="Retain",
        UpdateReplacePolicy="Retain",
        BucketEncryption=s3.BucketEncryption(
            ServerSideEncryptionConfiguration=[
                s3.ServerSideEncryptionRule(
                    ServerSideEncryptionByDefault=s3.ServerSideEncryptionByDefault(SSEAlgorithm="AES256"),
                    BucketKeyEnabled=True,
                )
            ]
        ),
        PublicAccessBlockConfiguration=s3.PublicAccessBlockConfiguration(
            BlockPublicAcls=True, BlockPublicPolicy=True, IgnorePublicAcls=True, RestrictPublicBuckets=True
        ),
        OwnershipControls=s3.OwnershipControls(Rules=[s3.OwnershipControlsRule(ObjectOwnership="BucketOwnerEnforced")]),
        VersioningConfiguration=s3.VersioningConfiguration(Status="Enabled"),
        LifecycleConfiguration=s3.LifecycleConfiguration(
            Rules=[
                s3.LifecycleRule(
                    Id="ExpireOldVersions",
                    Status="Enabled",
                    NoncurrentVersionExpiration=s3.NoncurrentVersionExpiration(NoncurrentDays=NONCURRENT_DAYS),
                    AbortIncompleteMultipartUpload=s3.AbortIncompleteMultipartUpload(DaysAfterInitiation=7),
                )
            ]
        ),
        Metadata=checkov_skip(
            (
                "CKV_AWS_18",
                "Server access logs would need a second bucket per stack; CloudTrail data events cover audits",
            ),
        ),
    )


def _tls_only() -> s3.BucketPolicy:
    deny_plain = Statement(
        Sid="DenyInsecureTransport",
        Effect=Deny,
        Principal=Principal("*"),
        Action=actions("s3:*"),
        Resource=[bucket_arn(), objects_arn()],
        Condition=Condition(Bool("aws:SecureTransport", "false")),
    )
    return s3.BucketPolicy("MetaflowS3BucketPolicy", Bucket=Ref(BUCKET), PolicyDocument=policy(deny_plain))


def add(template: Template) -> None:
    """Add the datastore bucket and its TLS-only policy."""
    template.add_resource(_bucket())
    template.add_resource(_tls_only())
