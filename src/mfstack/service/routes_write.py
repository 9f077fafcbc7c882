"""Routes that write: creates, metadata, artifacts, heartbeats, tag mutation, migrations."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mfstack.service import http, validate
from mfstack.service.http import JsonResponse, ok
from mfstack.service.httperrors import NotFound

HEARTBEAT_WAIT_S = 10
HEARTBEAT_BODY = f'{{"wait_time_in_seconds": {HEARTBEAT_WAIT_S}}}'
"""The heartbeat answer: a JSON *string* holding JSON (the client calls json.loads(resp.json()))."""
THROTTLE_MAX_ENTRIES = 100_000


async def create_flow(request: Request) -> Response:
    flow = http.flow(request)
    who = validate.owner(validate.obj(await http.body(request)))
    return ok(await http.store(request).create_flow(flow, who))


async def create_run(request: Request) -> Response:
    flow = http.flow(request)
    data = validate.obj(await http.body(request))
    run_id = validate.user_id(data, "run_number", "run")
    return ok(await http.store(request).create_run(flow, run_id, validate.owner(data)))


async def create_step(request: Request) -> Response:
    flow, run, step = http.flow(request), http.run(request), http.step(request)
    who = validate.owner(validate.obj(await http.body(request)))
    return ok(await http.store(request).create_step(flow, run, step, who))


async def create_task(request: Request) -> Response:
    flow, run, step = http.flow(request), http.run(request), http.step(request)
    data = validate.obj(await http.body(request))
    task_name = validate.user_id(data, "task_id", "task")
    return ok(await http.store(request).create_task(flow, run, step, task_name, validate.owner(data)))


async def add_metadata(request: Request) -> Response:
    flow, run, step, task = http.flow(request), http.run(request), http.step(request), http.task(request)
    rows = validate.metadata_rows(await http.body(request))
    count = await http.store(request).add_metadata(flow, run, step, task, rows)
    return ok({"metadata_created": count})


async def add_artifacts(request: Request) -> Response:
    flow, run, step, task = http.flow(request), http.run(request), http.step(request), http.task(request)
    rows = validate.artifact_rows(await http.body(request))
    count = await http.store(request).add_artifacts(flow, run, step, task, rows)
    return ok({"artifacts_created": count})


def _throttled(request: Request, key: tuple[object, ...], now: int) -> bool:
    """True when this object was beaten less than HEARTBEAT_WAIT_S ago (no write needed)."""
    seen: dict[tuple[object, ...], int] = request.app.state.heartbeats
    last = seen.get(key)
    return last is not None and now - last < HEARTBEAT_WAIT_S


def _remember(request: Request, key: tuple[object, ...], now: int) -> None:
    seen: dict[tuple[object, ...], int] = request.app.state.heartbeats
    if len(seen) >= THROTTLE_MAX_ENTRIES:
        seen.clear()
    seen[key] = now


async def run_heartbeat(request: Request) -> Response:
    flow, run = http.flow(request), http.run(request)
    now, key = int(time.time()), ("run", flow, run)
    if not _throttled(request, key, now):
        if not await http.store(request).heartbeat_run(flow, run, now):
            raise NotFound(f"Run {flow}/{run} does not exist.")
        _remember(request, key, now)
    return JsonResponse(HEARTBEAT_BODY)


async def task_heartbeat(request: Request) -> Response:
    flow, run, step, task = http.flow(request), http.run(request), http.step(request), http.task(request)
    now, key = int(time.time()), ("task", flow, run, step, task)
    if not _throttled(request, key, now):
        if not await http.store(request).heartbeat_task(flow, run, step, task, now):
            raise NotFound(f"Task {flow}/{run}/{step}/{task} does not exist.")
        _remember(request, key, now)
    return JsonResponse(HEARTBEAT_BODY)


async def mutate_tags(request: Request) -> Response:
    flow, run = http.flow(request), http.run(request)
    data = validate.obj(await http.body(request))
    add, remove = validate.tags(data, "tags_to_add"), validate.tags(data, "tags_to_remove")
    tags = await http.store(request).mutate_run_tags(flow, run, add, remove)
    return ok({"tags": tags})


async def upgrade(request: Request) -> Response:
    status = await request.app.state.store.upgrade()
    request.app.state.schema_ready = status.up_to_date
    return ok(status.as_json())


async def schema_status(request: Request) -> Response:
    status = await request.app.state.store.schema_status()
    return ok(status.as_json())


STEP = "/flows/{flow}/runs/{run}/steps/{step}"
TASK = STEP + "/tasks/{task}"

ROUTES = [
    Route("/flows/{flow}", create_flow, methods=["POST"]),
    Route("/flows/{flow}/run", create_run, methods=["POST"]),
    Route("/flows/{flow}/runs/{run}/heartbeat", run_heartbeat, methods=["POST"]),
    Route("/flows/{flow}/runs/{run}/tag/mutate", mutate_tags, methods=["PATCH"]),
    Route(STEP + "/step", create_step, methods=["POST"]),
    Route(STEP + "/task", create_task, methods=["POST"]),
    Route(TASK + "/metadata", add_metadata, methods=["POST"]),
    Route(TASK + "/artifact", add_artifacts, methods=["POST"]),
    Route(TASK + "/heartbeat", task_heartbeat, methods=["POST"]),
    Route("/upgrade", upgrade, methods=["PATCH"]),
    Route("/db_schema_status", schema_status, methods=["GET"]),
]
