"""Routes that read: everything the Metaflow client API asks for. A 404 means "not found"."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mfstack.service import http, validate
from mfstack.service.http import SERVICE_VERSION, VERSION_HEADER, found, ok
from mfstack.service.httperrors import BadRequest
from mfstack.service.routes_write import STEP, TASK
from mfstack.service.store.base import ArtifactScope

MAX_PATTERN = 1000


async def ping(request: Request) -> Response:
    return PlainTextResponse("pong", headers={VERSION_HEADER: SERVICE_VERSION})


async def list_flows(request: Request) -> Response:
    return ok(await http.store(request).list_flows())


async def get_flow(request: Request) -> Response:
    flow = http.flow(request)
    return found(await http.store(request).get_flow(flow), f"Flow {flow}")


async def list_runs(request: Request) -> Response:
    flow = http.flow(request)
    return found(await http.store(request).list_runs(flow), f"Flow {flow}")


async def get_run(request: Request) -> Response:
    flow, run = http.flow(request), http.run(request)
    return found(await http.store(request).get_run(flow, run), f"Run {flow}/{run}")


async def list_steps(request: Request) -> Response:
    flow, run = http.flow(request), http.run(request)
    return found(await http.store(request).list_steps(flow, run), f"Run {flow}/{run}")


async def get_step(request: Request) -> Response:
    flow, run, step = http.flow(request), http.run(request), http.step(request)
    return found(await http.store(request).get_step(flow, run, step), f"Step {flow}/{run}/{step}")


async def list_tasks(request: Request) -> Response:
    flow, run, step = http.flow(request), http.run(request), http.step(request)
    return found(await http.store(request).list_tasks(flow, run, step), f"Step {flow}/{run}/{step}")


async def get_task(request: Request) -> Response:
    flow, run, step, task = http.flow(request), http.run(request), http.step(request), http.task(request)
    return found(await http.store(request).get_task(flow, run, step, task), f"Task {flow}/{run}/{step}/{task}")


async def list_metadata(request: Request) -> Response:
    flow, run, step, task = http.flow(request), http.run(request), http.step(request), http.task(request)
    return found(await http.store(request).list_metadata(flow, run, step, task), f"Task {flow}/{run}/{step}/{task}")


async def filtered_tasks(request: Request) -> Response:
    """Pathspecs of the step's tasks whose metadata `metadata_field_name` matches `pattern` (a regex search)."""
    flow, run, step = http.flow(request), http.run(request), http.step(request)
    field = request.query_params.get("metadata_field_name") or None
    pattern = request.query_params.get("pattern") or None
    if field is not None and len(field) > validate.MAX_NAME:
        raise BadRequest("'metadata_field_name' is longer than 255 characters.")
    regex = _regex(pattern)
    values = await http.store(request).metadata_values(flow, run, step, field if regex is not None else None)
    if values is None:
        return found(None, f"Step {flow}/{run}/{step}")
    tasks = dict.fromkeys(t for t, value in values if regex is None or regex.search(value or ""))
    return ok([f"{flow}/{run}/{step}/{t}" for t in tasks])


def _regex(pattern: str | None) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    if len(pattern) > MAX_PATTERN:
        raise BadRequest(f"'pattern' is longer than {MAX_PATTERN} characters.")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise BadRequest(f"'pattern' is not a valid regular expression: {exc}.") from None


def _scope(request: Request) -> ArtifactScope:
    p = request.path_params
    return ArtifactScope(
        flow=http.flow(request),
        run=http.run(request),
        step=http.step(request) if "step" in p else None,
        task=http.task(request) if "task" in p else None,
        name=http.artifact_name(request) if "name" in p else None,
        attempt=validate.attempt(p["attempt"]) if "attempt" in p else None,
    )


async def list_artifacts(request: Request) -> Response:
    scope = _scope(request)
    return found(await http.store(request).list_artifacts(scope), "The run, step or task")


async def get_artifact(request: Request) -> Response:
    scope = _scope(request)
    rows = await http.store(request).list_artifacts(scope)
    return found(rows[0] if rows else None, f"Artifact {scope.name}")


RUN = "/flows/{flow}/runs/{run}"

ROUTES = [
    Route("/ping", ping, methods=["GET"]),
    Route("/flows", list_flows, methods=["GET"]),
    Route("/flows/{flow}", get_flow, methods=["GET"]),
    Route("/flows/{flow}/runs", list_runs, methods=["GET"]),
    Route(RUN, get_run, methods=["GET"]),
    Route(RUN + "/steps", list_steps, methods=["GET"]),
    Route(RUN + "/artifacts", list_artifacts, methods=["GET"]),
    Route(STEP, get_step, methods=["GET"]),
    Route(STEP + "/tasks", list_tasks, methods=["GET"]),
    Route(STEP + "/artifacts", list_artifacts, methods=["GET"]),
    Route(STEP + "/filtered_tasks", filtered_tasks, methods=["GET"]),
    Route(TASK, get_task, methods=["GET"]),
    Route(TASK + "/metadata", list_metadata, methods=["GET"]),
    Route(TASK + "/artifacts", list_artifacts, methods=["GET"]),
    Route(TASK + "/artifacts/{name}", get_artifact, methods=["GET"]),
    Route(TASK + "/attempt/{attempt}/artifacts", list_artifacts, methods=["GET"]),
    Route(TASK + "/artifacts/{name}/attempt/{attempt}", get_artifact, methods=["GET"]),
]
