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
    sequences: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    throttle_first: int = 0
    calls: list[str] = field(default_factory=list)

    def answer(self, action: str) -> tuple[int, str]:
        """The next canned answer: a sequence is consumed in order (its last item repeats)."""
        seq = self.sequences.get(action)
        if seq:
            return seq.pop(0) if len(seq) > 1 else seq[0]
        return self.answers.get(action, (400, error_xml("InvalidAction", f"no canned answer for {action}")))


def handler(state: CannedCfn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
            action = form.get("Action", [""])[0]
            state.calls.append(action)
            if len(state.calls) <= state.throttle_first:
                status, payload = 400, error_xml("Throttling", "Rate exceeded")
            else:
                status, payload = state.answer(action)
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


NS = 'xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"'
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/metaflow/x"
CS_ID = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/mfstack-1/y"


def response(action: str, result: str) -> str:
    """A Query-protocol answer for `action` wrapping `result`."""
    return (
        f"<{action}Response {NS}><{action}Result>{result}</{action}Result>"
        f"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></{action}Response>"
    )


def change_set_xml(changes: list[tuple[str, str, str, str, str]]) -> str:
    """DescribeChangeSet with (action, logical id, type, replacement, property forcing it) rows."""
    members = "".join(
        "<member><Type>Resource</Type><ResourceChange>"
        f"<Action>{a}</Action><LogicalResourceId>{lid}</LogicalResourceId><ResourceType>{t}</ResourceType>"
        f"<Replacement>{rep}</Replacement><Details><member><Target><Attribute>Properties</Attribute><Name>{prop}</Name>"
        "<RequiresRecreation>Always</RequiresRecreation></Target></member></Details></ResourceChange></member>"
        for a, lid, t, rep, prop in changes
    )
    return response(
        "DescribeChangeSet",
        f"<ChangeSetId>{CS_ID}</ChangeSetId><StackName>metaflow</StackName><Status>CREATE_COMPLETE</Status>"
        f"<ExecutionStatus>AVAILABLE</ExecutionStatus><Changes>{members}</Changes>",
    )


def events_xml(rows: list[tuple[str, str, str, str, str]]) -> str:
    """DescribeStackEvents, newest first, from (timestamp, logical id, type, status, reason) rows."""
    members = "".join(
        f"<member><StackId>{STACK_ID}</StackId><EventId>e{i}</EventId><StackName>metaflow</StackName>"
        f"<LogicalResourceId>{lid}</LogicalResourceId><ResourceType>{t}</ResourceType><Timestamp>{ts}</Timestamp>"
        f"<ResourceStatus>{st}</ResourceStatus><ResourceStatusReason>{why}</ResourceStatusReason></member>"
        for i, (ts, lid, t, st, why) in reversed(list(enumerate(rows)))
    )
    return response("DescribeStackEvents", f"<StackEvents>{members}</StackEvents>")
