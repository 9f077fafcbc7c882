"""One pure-ASGI middleware for every request: API-key check, then a structured access log.

The key is compared in constant time against every configured key (several keys allow rotation).
A refused request gets 403 with a JSON message; neither keys nor headers are ever logged.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import sys
import time
from typing import Any, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mfstack.service import jsonio
from mfstack.service.http import SERVICE_VERSION, VERSION_HEADER

access_logger = logging.getLogger("mfstack.service.access")
FORBIDDEN = jsonio.dumps({"message": "A valid x-api-key header is required."})
NOT_HERE = jsonio.dumps({"message": "Only /ping, /db_schema_status and /upgrade are served on the migration port."})
MIGRATION_PATHS = frozenset({"/ping", "/db_schema_status", "/upgrade"})


class Gate:
    """Refuse requests without a valid `x-api-key`; log one JSON line per request."""

    def __init__(
        self, app: ASGIApp, api_keys: tuple[str, ...], access_log: bool, migration_port: int | None = None
    ) -> None:
        self.app = app
        self.keys = [k.encode() for k in api_keys]
        self.access_log = access_log and access_logger.isEnabledFor(logging.INFO)
        self.log = AccessLog()
        self.migration_port = migration_port

    def allowed(self, scope: Scope) -> bool:
        if not self.keys:
            return True
        given = b""
        for name, value in scope["headers"]:
            if name == b"x-api-key":
                given = value
                break
        match = False
        for key in self.keys:  # no early exit: the time taken does not depend on which key matched
            match |= hmac.compare_digest(given, key)
        return match

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [0]

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        if not self.allowed(scope):
            await refuse(send_logged, 403, FORBIDDEN)
        elif self.migration_port and _port(scope) == self.migration_port and scope["path"] not in MIGRATION_PATHS:
            await refuse(send_logged, 404, NOT_HERE)
        else:
            await self.app(scope, receive, send_logged if self.access_log else send)
        if self.access_log:
            self.log.emit(request_record(scope, status[0], time.perf_counter() - start))


def _port(scope: Scope) -> int | None:
    server = scope.get("server")
    return int(server[1]) if server and server[1] is not None else None


async def refuse(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers.append((VERSION_HEADER.lower().encode(), SERVICE_VERSION.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class AccessLog:
    """JSON lines on stderr, written once per turn of the event loop: under load, one write for a
    burst of requests instead of a logging record, a lock and a write each (they cost about an
    eighth of a small request's time). Lines are written before the loop handles more input."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.pending: list[bytes] = []

    def emit(self, record: dict[str, Any]) -> None:
        self.pending.append(jsonio.dumps(record))
        if len(self.pending) == 1:
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        lines, self.pending = self.pending, []
        if lines:
            stream = self.stream or sys.stderr
            stream.write(b"\n".join(lines).decode() + "\n")
            stream.flush()


def request_record(scope: Scope, status: int, seconds: float) -> dict[str, Any]:
    """The access-log record of one request: never a header, so never a key."""
    client: Any = scope.get("client")
    return {
        "ts": round(time.time(), 3),
        "log": "access",
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "ms": round(seconds * 1000, 2),
        "client": client[0] if client else None,
    }
