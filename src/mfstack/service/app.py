"""The ASGI application: routes, error rendering, the API-key gate, and the store's lifecycle."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator

import asyncpg
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mfstack.service import openapi, routes_read, routes_write
from mfstack.service.config import ServiceConfig
from mfstack.service.http import JsonResponse, ok
from mfstack.service.httperrors import HttpError
from mfstack.service.middleware import Gate
from mfstack.service.store import make_store
from mfstack.service.store.base import SchemaStatus, Store

logger = logging.getLogger("mfstack.service")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HttpError)
    return JsonResponse({"message": exc.message}, exc.status)


async def routing_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "No such route." if exc.status_code == 404 else str(exc.detail)
    return JsonResponse({"message": message}, exc.status_code)


def database_unavailable(exc: BaseException) -> bool:
    """True for a lost or refused database connection (or a SQLite lock held too long): the
    caller should retry, so it gets 503, which the Metaflow client retries with backoff."""
    if isinstance(exc, ConnectionError | TimeoutError | OSError):
        return True
    if isinstance(exc, sqlite3.OperationalError):
        return "locked" in str(exc) or "busy" in str(exc)
    module = type(exc).__module__
    if module.startswith("asyncpg"):
        return isinstance(
            exc,
            asyncpg.PostgresConnectionError
            | asyncpg.InterfaceError
            | asyncpg.InternalClientError
            | asyncpg.CannotConnectNowError
            | asyncpg.TooManyConnectionsError,
        )
    return False


async def database_error(request: Request, exc: Exception) -> Response:
    if database_unavailable(exc):
        logger.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
        return JsonResponse({"message": "The database is unavailable; retry shortly."}, 503)
    return await server_error(request, exc)


async def server_error(request: Request, exc: Exception) -> Response:
    logger.error("internal error on %s %s: %r", request.method, request.url.path, exc)
    return JsonResponse({"message": "Internal error; the service log has the details."}, 500)


async def openapi_json(request: Request) -> Response:
    return ok(openapi.document())


HOT_PATHS = (
    routes_write.TASK + "/heartbeat",
    routes_write.STEP + "/task",
    routes_write.TASK + "/metadata",
    routes_read.RUN,
    routes_read.RUN + "/heartbeat",
    routes_write.TASK + "/artifact",
)
"""The routes a running flow calls most, checked first (the router tries routes in order)."""


def hot_first(routes: list[Route]) -> list[Route]:
    return sorted(routes, key=lambda r: HOT_PATHS.index(r.path) if r.path in HOT_PATHS else len(HOT_PATHS))


def create_app(config: ServiceConfig, store: Store | None = None, opened: SchemaStatus | None = None) -> Starlette:
    """The service as an ASGI app; the store opens on startup (unless `opened`) and closes on shutdown."""
    the_store = store or make_store(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        status = opened or await the_store.open(config.migrate)
        app.state.schema_ready = status.up_to_date
        if not status.up_to_date:
            logger.warning(
                "database schema at version %s, pending %s: PATCH /upgrade or --migrate", status.current, status.pending
            )
        try:
            yield
        finally:
            await the_store.close()

    routes = hot_first(
        [*routes_read.ROUTES, *routes_write.ROUTES, Route("/openapi.json", openapi_json, methods=["GET"])]
    )
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                Gate, api_keys=config.api_keys, access_log=config.access_log, migration_port=config.migration_port
            )
        ],
        exception_handlers={
            HttpError: http_error,
            HTTPException: routing_error,
            OSError: database_error,
            sqlite3.OperationalError: database_error,
            asyncpg.PostgresConnectionError: database_error,
            asyncpg.InterfaceError: database_error,
            asyncpg.InternalClientError: database_error,
            Exception: server_error,
        },
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.store = the_store
    app.state.schema_ready = False
    app.state.heartbeats = {}
    return app
