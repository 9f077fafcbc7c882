"""The OpenAPI 3.0 description served at `/openapi.json`, built from one table of operations.

A test checks that this table and the app's real routes list the same paths and methods.
"""

from __future__ import annotations

import functools
from typing import Any

from mfstack.service.http import SERVICE_VERSION

J = dict[str, Any]
STR = {"type": "string", "maxLength": 255}
TAGS = {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 255}}
OWNER = {"user_name": STR, "tags": TAGS, "system_tags": TAGS, "ts_epoch": {"type": "integer"}}
OBJECT = {"type": "object"}
LIST = {"type": "array", "items": OBJECT}

BODIES: dict[str, J] = {
    "owner": {"type": "object", "properties": OWNER},
    "run": {"type": "object", "properties": {**OWNER, "run_number": STR}},
    "task": {"type": "object", "properties": {**OWNER, "task_id": STR}},
    "empty": {"type": "object"},
    "tags": {"type": "object", "properties": {"tags_to_add": TAGS, "tags_to_remove": TAGS}},
    "metadata": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["field_name", "value", "type"],
            "properties": {"field_name": STR, "value": {"type": "string"}, "type": STR, "user_name": STR, "tags": TAGS},
        },
    },
    "artifact": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["name", "location", "ds_type"],
            "properties": {
                "name": STR,
                "location": STR,
                "ds_type": STR,
                "sha": STR,
                "type": STR,
                "content_type": STR,
                "user_name": STR,
                "attempt_id": {"type": "integer", "minimum": 0, "maximum": 32767},
            },
        },
    },
}

S = "/flows/{flow}/runs/{run}/steps/{step}"
T = S + "/tasks/{task}"
# (method, path, summary, request body key or None, JSON answer schema or None for text)
OPERATIONS: list[tuple[str, str, str, str | None, J | None]] = [
    ("get", "/ping", "Liveness; the METADATA_SERVICE_VERSION header tells the client which features exist", None, None),
    ("get", "/db_schema_status", "Current and latest schema versions", None, OBJECT),
    ("patch", "/upgrade", "Apply pending schema migrations", None, OBJECT),
    ("get", "/openapi.json", "This description", None, OBJECT),
    ("get", "/flows", "All flows", None, LIST),
    ("get", "/flows/{flow}", "One flow", None, OBJECT),
    ("post", "/flows/{flow}", "Create a flow (409 when it exists)", "owner", OBJECT),
    ("get", "/flows/{flow}/runs", "Runs of a flow", None, LIST),
    ("post", "/flows/{flow}/run", "Create a run; `run_number` in the body is a user-given string id", "run", OBJECT),
    ("get", "/flows/{flow}/runs/{run}", "One run (all digits: integer id; else the user-given id)", None, OBJECT),
    (
        "post",
        "/flows/{flow}/runs/{run}/heartbeat",
        "Run heartbeat; answers a JSON-encoded string",
        "empty",
        {"type": "string"},
    ),
    ("patch", "/flows/{flow}/runs/{run}/tag/mutate", "Add and remove user tags (422 for system tags)", "tags", OBJECT),
    ("get", "/flows/{flow}/runs/{run}/steps", "Steps of a run", None, LIST),
    ("get", "/flows/{flow}/runs/{run}/artifacts", "Artifacts of a run (latest attempts)", None, LIST),
    ("get", S, "One step", None, OBJECT),
    ("post", S + "/step", "Create a step (409 when it exists)", "owner", OBJECT),
    ("get", S + "/tasks", "Tasks of a step", None, LIST),
    ("post", S + "/task", "Create a task; `task_id` in the body is a user-given string id", "task", OBJECT),
    ("get", S + "/artifacts", "Artifacts of a step (latest attempts)", None, LIST),
    (
        "get",
        S + "/filtered_tasks",
        "Pathspecs of tasks whose metadata field matches a regex",
        None,
        {"type": "array", "items": {"type": "string"}},
    ),
    ("get", T, "One task", None, OBJECT),
    ("post", T + "/heartbeat", "Task heartbeat; answers a JSON-encoded string", "empty", {"type": "string"}),
    ("get", T + "/metadata", "Metadata of a task (all attempts)", None, LIST),
    ("post", T + "/metadata", "Record metadata rows", "metadata", OBJECT),
    ("post", T + "/artifact", "Record artifacts", "artifact", OBJECT),
    ("get", T + "/artifacts", "Artifacts of a task (latest attempt)", None, LIST),
    ("get", T + "/artifacts/{name}", "One artifact (latest attempt)", None, OBJECT),
    ("get", T + "/attempt/{attempt}/artifacts", "Artifacts of one attempt", None, LIST),
    ("get", T + "/artifacts/{name}/attempt/{attempt}", "One artifact of one attempt", None, OBJECT),
]

PARAMS: dict[str, J] = {
    "flow": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "maxLength": 255},
    "step": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$", "maxLength": 255},
    "run": {"type": "string", "maxLength": 255},
    "task": {"type": "string", "maxLength": 255},
    "name": {"type": "string", "maxLength": 255},
    "attempt": {"type": "integer", "minimum": 0, "maximum": 32767},
}
ERROR = {
    "description": "Refused",
    "content": {"application/json": {"schema": {"type": "object", "properties": {"message": {"type": "string"}}}}},
}


def _operation(method: str, path: str, summary: str, body: str | None, answer: J | None) -> J:
    names = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
    content = (
        {"application/json": {"schema": answer}}
        if answer is not None
        else {"text/plain": {"schema": {"type": "string"}}}
    )
    op: J = {
        "summary": summary,
        "parameters": [{"name": n, "in": "path", "required": True, "schema": PARAMS[n]} for n in names],
        "responses": {"200": {"description": "OK", "content": content}, "4XX": ERROR},
    }
    if path.endswith("/filtered_tasks"):
        op["parameters"] += [
            {"name": "metadata_field_name", "in": "query", "required": False, "schema": STR},
            {"name": "pattern", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 1000}},
        ]
    if body is not None:
        op["requestBody"] = {"required": False, "content": {"application/json": {"schema": BODIES[body]}}}
    return op


@functools.cache
def document() -> J:
    paths: J = {}
    for method, path, summary, body, answer in OPERATIONS:
        paths.setdefault(path, {})[method] = _operation(method, path, summary, body, answer)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Metaflow metadata service (mfstack)", "version": SERVICE_VERSION},
        "components": {"securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}}},
        "security": [{"apiKey": []}],
        "paths": paths,
    }
