"""The schema migration handler, run against real HTTP servers on 127.0.0.1.

One server plays the metadata service's migration port (GET /db_schema_status, PATCH /upgrade),
another plays CloudFormation's presigned response URL (it records the PUT body). Only the Lambda
context object is a stand-in: it reports the time left, as Lambda's does. The last test points the
handler at mfstack's own metadata service, started for real on SQLite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from mfstack.stack import migration_lambda


@dataclass
class Recorder:
    """What the two servers saw, and how the migration service behaves."""

    up_to_date: bool = False
    upgrade_status: int = 200
    calls: list[str] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)


def _handler(rec: Recorder) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: dict[str, Any] | None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            rec.calls.append(f"GET {self.path}")
            self._send(200, {"is_up_to_date": rec.up_to_date, "current_version": 7 if rec.up_to_date else 3})

        def do_PATCH(self) -> None:
            rec.calls.append(f"PATCH {self.path}")
            if rec.upgrade_status == 200:
                rec.up_to_date = True
            self._send(rec.upgrade_status, {"message": "done" if rec.upgrade_status == 200 else "boom"})

        def do_PUT(self) -> None:
            length = int(self.headers["Content-Length"])
            rec.responses.append(json.loads(self.rfile.read(length)))
            self._send(200, None)

    return Handler


@pytest.fixture
def servers() -> Iterator[tuple[Recorder, str]]:
    rec = Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(rec))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class Context:
    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def event(kind: str, base: str, migration_url: str) -> dict[str, Any]:
    return {
        "RequestType": kind,
        "ResponseURL": f"{base}/cfn-response?X-Amz-Signature=abc",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/metaflow/1",
        "RequestId": "req-1",
        "LogicalResourceId": "SchemaMigration",
        "ResourceProperties": {"MigrationUrl": migration_url, "ServiceImage": "img:1"},
    }


def test_create_upgrades_a_schema_that_is_behind(servers: tuple[Recorder, str]) -> None:
    rec, base = servers
    migration_lambda.handler(event("Create", base, base + "/"), Context(600_000))
    assert rec.calls == ["GET /db_schema_status", "PATCH /upgrade", "GET /db_schema_status"]
    (answer,) = rec.responses
    assert answer["Status"] == "SUCCESS" and answer["Data"] == {"Upgraded": "true", "SchemaVersion": "7"}
    assert answer["PhysicalResourceId"] == "schema-migration-SchemaMigration"
    assert answer["RequestId"] == "req-1" and answer["StackId"].endswith("stack/metaflow/1")


def test_update_with_an_up_to_date_schema_does_not_patch(servers: tuple[Recorder, str]) -> None:
    rec, base = servers
    rec.up_to_date = True
    ev = event("Update", base, base) | {"PhysicalResourceId": "schema-migration-SchemaMigration"}
    migration_lambda.handler(ev, Context(600_000))
    assert rec.calls == ["GET /db_schema_status"]
    assert rec.responses[0]["Status"] == "SUCCESS" and rec.responses[0]["Data"]["Upgraded"] == "false"


def test_delete_touches_nothing_and_succeeds(servers: tuple[Recorder, str]) -> None:
    rec, base = servers
    migration_lambda.handler(event("Delete", base, base), Context(600_000))
    assert rec.calls == [] and rec.responses[0]["Status"] == "SUCCESS"


def test_a_failed_upgrade_fails_the_resource_with_the_reason(servers: tuple[Recorder, str]) -> None:
    rec, base = servers
    rec.upgrade_status = 500
    migration_lambda.handler(event("Create", base, base), Context(600_000))
    answer = rec.responses[0]
    assert answer["Status"] == "FAILED" and "schema migration failed" in answer["Reason"] and "500" in answer["Reason"]


def test_an_unreachable_service_fails_once_time_runs_out(servers: tuple[Recorder, str]) -> None:
    rec, base = servers
    from tests.conftest import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    migration_lambda.handler(event("Create", base, dead), Context(migration_lambda.MARGIN_MS))
    answer = rec.responses[0]
    assert answer["Status"] == "FAILED" and "did not answer" in answer["Reason"]


@pytest.fixture
def metadata_service(tmp_path: Path) -> Iterator[str]:
    """mfstack's own metadata service on SQLite, with its migration port; yields that port's URL."""
    from tests.conftest import free_port

    api_port, migration_port = free_port(), free_port()
    args = ["--db", f"sqlite:///{tmp_path / 'metadata.db'}", "--port", str(api_port)]
    args += ["--migration-port", str(migration_port), "--no-access-log"]
    log = (tmp_path / "service.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "mfstack.service", *args], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{migration_port}"
    try:
        for _ in range(150):  # up to 30 s
            try:
                urllib.request.urlopen(base + "/ping", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError((tmp_path / "service.log").read_text()) from None
                time.sleep(0.2)
        else:
            raise AssertionError("metadata service did not start: " + (tmp_path / "service.log").read_text())
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_handler_speaks_the_migration_contract_of_the_real_service(
    servers: tuple[Recorder, str], metadata_service: str
) -> None:
    rec, base = servers
    status = json.loads(urllib.request.urlopen(metadata_service + "/db_schema_status", timeout=10).read())
    migration_lambda.handler(event("Create", base, metadata_service), Context(600_000))
    answer = rec.responses[0]
    assert answer["Status"] == "SUCCESS", answer["Reason"]
    assert answer["Data"]["SchemaVersion"] == str(status["current_version"])
    assert answer["Data"]["Upgraded"] == ("false" if status["is_up_to_date"] else "true")
