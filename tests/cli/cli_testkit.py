"""Helpers of the CLI tests: a run result, and a canned CloudFormation endpoint for answers moto cannot give."""

from __future__ import annotations

from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Result:
    """What one CLI run produced."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        """stdout and stderr with line wrapping undone, for phrase matching."""
        return " ".join((self.out + " " + self.err).split())


@dataclass
class CannedCfn:
    """A local HTTP endpoint answering CloudFormation Query calls from a table of canned XML."""

    url: str
    answers: dict[str, tuple[int, str]] = field(default_factory=dict)
    throttle_first: int = 0
    calls: list[str] = field(default_factory=list)


def handler(state: CannedCfn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
            action = form.get("Action", [""])[0]
            state.calls.append(action)
            if len(state.calls) <= state.throttle_first:
                status, payload = 400, error_xml("Throttling", "Rate exceeded")
            else:
                status, payload = state.answers.get(
                    action, (400, error_xml("InvalidAction", f"no canned answer for {action}"))
                )
            data = payload.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: object) -> None:
            return

    return Handler


def error_xml(code: str, message: str) -> str:
    """A CloudFormation Query-protocol error body."""
    return (
        '<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>"
    )


def stacks_xml(status: str, tags: dict[str, str]) -> str:
    """A DescribeStacks answer with one stack."""
    tag_xml = "".join(f"<member><Key>{k}</Key><Value>{v}</Value></member>" for k, v in tags.items())
    return (
        '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks>'
        "<member><StackName>metaflow</StackName><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/metaflow/x</StackId>"
        f"<StackStatus>{status}</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime><Tags>{tag_xml}</Tags></member>"
        "</Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeStacksResponse>"
    )


EVENTS_XML = (
    '<DescribeStackEventsResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStackEventsResult>'
    "<StackEvents></StackEvents></DescribeStackEventsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>"
    "</DescribeStackEventsResponse>"
)
