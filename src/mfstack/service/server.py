"""Run the service: open the database (a clear error if that fails), then serve with uvicorn.

uvicorn finishes in-flight requests on SIGTERM/SIGINT before the store closes (graceful shutdown).
uvloop and httptools are used when installed (the `service` extra), else asyncio and h11.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sqlite3
import sys
from collections.abc import Callable

import uvicorn

from mfstack.errors import ServiceError
from mfstack.service.app import create_app
from mfstack.service.config import ServiceConfig
from mfstack.service.store import make_store
from mfstack.service.store.base import SchemaStatus, Store

logger = logging.getLogger("mfstack.service")
GRACE_SECONDS = 30


def configure_logging(level: str = "info") -> None:
    """One line per record on stderr; access-log records are JSON objects."""
    if level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ServiceError(f"The log level must be debug, info, warning or error, not {level!r}.")
    logging.basicConfig(level=level.upper(), stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # The access log is one self-describing JSON object per line (with its own timestamp), so it
    # skips the text formatter: that formatting cost as much as serving a small request.
    access = logging.getLogger("mfstack.service.access")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    access.handlers[:] = [handler]
    access.propagate = False


async def open_store(config: ServiceConfig) -> tuple[Store, SchemaStatus]:
    store = make_store(config)
    try:
        status = await store.open(config.migrate)
    except (OSError, sqlite3.Error) as exc:
        raise ServiceError(f"Cannot open the database {config.database.describe()}: {exc}") from exc
    except Exception as exc:
        if type(exc).__module__.startswith("asyncpg"):
            raise ServiceError(f"Cannot open the database {config.database.describe()}: {exc}") from exc
        raise
    return store, status


async def serve(config: ServiceConfig) -> None:
    store, status = await open_store(config)
    app = create_app(config, store, opened=status)
    server_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        access_log=False,
        log_config=None,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=GRACE_SECONDS,
        backlog=2048,
    )
    try:
        sockets = [bind(config.host, config.port)]
        if config.migration_port:
            sockets.append(bind(config.host, config.migration_port))
    except ServiceError:
        await store.close()
        raise
    server = uvicorn.Server(server_config)
    ports = ", ".join(str(s.getsockname()[1]) for s in sockets)
    logger.info("serving %s on %s port(s) %s", config.database.describe(), config.host, ports)
    try:
        await server.serve(sockets=sockets)
    finally:
        for sock in sockets:
            sock.close()


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, or a ServiceError saying why it cannot be had."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise ServiceError(
            f"Cannot listen on {host}:{port}: {exc.strerror or exc}.", hint="Choose another --port or --host."
        ) from None
    sock.set_inheritable(True)
    return sock


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(config: ServiceConfig) -> None:
    """Serve until SIGTERM/SIGINT; raises ServiceError when the service cannot start."""
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(serve(config))
