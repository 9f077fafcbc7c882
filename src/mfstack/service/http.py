"""Small request/response helpers shared by the route modules."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mfstack.service import jsonio, validate
from mfstack.service.httperrors import BadRequest, NotFound, TooLarge, Unavailable
from mfstack.service.store.base import Store
from mfstack.service.validate import Ref

SERVICE_VERSION = "2.5.1"
"""Answered in the METADATA_SERVICE_VERSION header: >= 2.3.0 turns on every client feature."""
VERSION_HEADER = "METADATA_SERVICE_VERSION"


class JsonResponse(Response):
    """A JSON answer with a JSON content type and the service version header."""

    media_type = "application/json"

    def __init__(self, content: Any, status_code: int = 200) -> None:
        super().__init__(jsonio.dumps(content), status_code, {VERSION_HEADER: SERVICE_VERSION})


def ok(content: Any, status_code: int = 200) -> JsonResponse:
    return JsonResponse(content, status_code)


def found(content: Any, what: str) -> JsonResponse:
    """200 with the object, or 404 when the store answered None."""
    if content is None:
        raise NotFound(f"{what} does not exist.")
    return JsonResponse(content)


def store(request: Request) -> Store:
    """The app's store; 503 while the database schema is behind this service."""
    state = request.app.state
    if not state.schema_ready:
        raise Unavailable(
            "The database schema is out of date: apply the migrations with `PATCH /upgrade` or `--migrate`."
        )
    result: Store = state.store
    return result


async def body(request: Request) -> Any:
    """The decoded JSON body, refused with 413 beyond the configured limit."""
    limit: int = request.app.state.config.max_body
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"The request body is larger than the limit of {limit} bytes.")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"The request body is larger than the limit of {limit} bytes.")
        chunks.append(chunk)
    return validate.parse(b"".join(chunks))


def flow(request: Request) -> str:
    return validate.name(request.path_params["flow"], "flow")


RUN_NUMBER_MAX = 2**31 - 1
"""Run numbers come from a PostgreSQL `serial` (int4) in the reference schema."""


def run(request: Request) -> Ref:
    value = validate.ref(request.path_params["run"], "run")
    if isinstance(value, int) and value > RUN_NUMBER_MAX:
        raise NotFound(f"Run {value} does not exist.")
    return value


def step(request: Request) -> str:
    return validate.name(request.path_params["step"], "step")


def task(request: Request) -> Ref:
    return validate.ref(request.path_params["task"], "task")


def artifact_name(request: Request) -> str:
    value: str = request.path_params["name"]
    if not value or len(value) > validate.MAX_NAME or "\x00" in value or not value.isprintable():
        raise BadRequest("The artifact name must have 1 to 255 printable characters.")
    return value
