"""The boto3 gateway: credential, token and region failures become one-paragraph AwsErrors, and
throttling is retried (against a tiny local HTTP server that answers like CloudFormation)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mfstack.aws import AwsContext
from mfstack.deploy.stackinfo import describe_stack
from mfstack.errors import AwsError

THROTTLED = b"""<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>
<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r1</RequestId></ErrorResponse>"""
STACKS = b"""<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks>
<member><StackName>metaflow</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/metaflow/x</StackId>
<StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime></member>
</Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></DescribeStacksResponse>"""


class _Throttler(BaseHTTPRequestHandler):
    calls: list[int] = []  # noqa: RUF012

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.calls.append(1)
        throttle = len(self.calls) <= 2
        payload = THROTTLED if throttle else STACKS
        self.send_response(400 if throttle else 200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture
def throttling_endpoint() -> Iterator[str]:
    _Throttler.calls = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Throttler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_throttling_is_retried_not_shown(aws_env: None, throttling_endpoint: str) -> None:
    aws = AwsContext(region="us-east-1", endpoint_url=throttling_endpoint)
    info = describe_stack(aws, "metaflow")
    assert info is not None and info.status == "CREATE_COMPLETE"
    assert len(_Throttler.calls) == 3


def test_no_credentials(aws_env: None, monkeypatch: pytest.MonkeyPatch, moto_server: str) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(AwsError, match="No AWS credentials were found") as err:
        describe_stack(AwsContext(region="us-east-1", endpoint_url=moto_server), "metaflow")
    assert "aws configure" in (err.value.hint or "")


def test_unknown_region_and_missing_region(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(AwsError, match="'us-est-1' is not an AWS region"):
        AwsContext(region="us-est-1").client("cloudformation")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    with pytest.raises(AwsError, match="No AWS region is set"):
        AwsContext().client("cloudformation")


def test_unknown_profile(aws_env: None) -> None:
    with pytest.raises(AwsError, match="'nobody' is not in your AWS config"):
        AwsContext(profile="nobody").client("cloudformation")
