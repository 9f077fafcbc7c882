"""Checks on what a caller sends: path segments and JSON bodies. Each failure is a `BadRequest`.

Names follow what Metaflow itself allows: flow and step names are Python identifiers, user-given
run and task ids are short strings that are not all digits (an all-digit segment is an integer id).
Every stored string fits the reference schema's `varchar(255)`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from mfstack.service import jsonio
from mfstack.service.httperrors import BadRequest, NotFound

MAX_NAME = 255
MAX_TAGS = 1000
MAX_ROWS = 10_000
INT64_MAX = 2**63 - 1
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
STRING_ID = re.compile(r"[A-Za-z0-9_.:@+=-]+")

Ref = int | str
"""A run or task as named in a path: an int is the service's id, a str the user-given id."""


def name(segment: str, what: str) -> str:
    """A flow or step name from the path."""
    if len(segment) > MAX_NAME or not IDENTIFIER.fullmatch(segment):
        raise BadRequest(f"{what} name {segment[:80]!r} is not a valid Metaflow {what} name (a Python identifier).")
    return segment


def ref(segment: str, what: str) -> Ref:
    """A run or task id from the path: all digits is the integer id, anything else a user-given id."""
    if segment.isascii() and segment.isdigit():
        value = int(segment)
        if value > INT64_MAX:
            raise NotFound(f"{what} {segment[:80]} does not exist.")
        return value
    return string_id(segment, what)


def string_id(value: str, what: str) -> str:
    if len(value) > MAX_NAME or not STRING_ID.fullmatch(value) or value.isdigit():
        raise BadRequest(
            f"{what} id {value[:80]!r} is not a valid id (letters, digits and _.:@+=- only, not all digits)."
        )
    return value


def parse(body: bytes) -> Any:
    """The JSON value of a request body (an empty body is an empty object)."""
    if not body.strip():
        return {}
    try:
        return jsonio.loads(body)
    except ValueError:
        raise BadRequest("The request body is not valid JSON.") from None


def obj(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest("The request body must be a JSON object.")
    return value


def rows(value: Any) -> list[dict[str, Any]]:
    """A JSON list of objects (a single object is accepted as a list of one)."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadRequest("The request body must be a JSON list of objects.")
    if len(value) > MAX_ROWS:
        raise BadRequest(f"At most {MAX_ROWS} rows per request.")
    return value


def opt_str(d: dict[str, Any], key: str, limit: int | None = MAX_NAME) -> str | None:
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{key!r} must be a string.")
    if limit is not None and len(value) > limit:
        raise BadRequest(f"{key!r} is longer than {limit} characters.")
    if "\x00" in value:
        raise BadRequest(f"{key!r} contains a NUL character.")
    return value


def req_str(d: dict[str, Any], key: str, limit: int | None = MAX_NAME) -> str:
    value = opt_str(d, key, limit)
    if value is None:
        raise BadRequest(f"{key!r} is required.")
    return value


def tags(d: dict[str, Any], key: str) -> list[str]:
    value = d.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        raise BadRequest(f"{key!r} must be a list of at most {MAX_TAGS} strings.")
    for tag in value:
        if not isinstance(tag, str) or not tag or len(tag) > MAX_NAME or "\x00" in tag:
            raise BadRequest(f"{key!r} must hold non-empty strings of at most {MAX_NAME} characters.")
    return list(dict.fromkeys(value))


def user_id(d: dict[str, Any], key: str, what: str) -> str | None:
    """A user-given string id in a create body (`run_number` / `task_id`), or None."""
    value = d.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{key!r} must be a string id when given.")
    return string_id(value, what)


@dataclass(frozen=True)
class Owner:
    """Who created an object and its tags, as sent in every create body."""

    user: str | None
    tags: list[str]
    system_tags: list[str]


def owner(d: dict[str, Any]) -> Owner:
    return Owner(opt_str(d, "user_name"), tags(d, "tags"), tags(d, "system_tags"))


@dataclass(frozen=True)
class MetadataIn:
    field_name: str
    value: str
    type: str
    user: str | None
    tags: list[str]


@dataclass(frozen=True)
class ArtifactIn:
    name: str
    location: str
    ds_type: str
    sha: str | None
    type: str | None
    content_type: str | None
    attempt_id: int
    user: str | None


def metadata_rows(value: Any) -> list[MetadataIn]:
    out = []
    for d in rows(value):
        out.append(
            MetadataIn(
                req_str(d, "field_name"),
                metadata_value(d),
                req_str(d, "type"),
                opt_str(d, "user_name"),
                tags(d, "tags"),
            )
        )
    return out


def metadata_value(d: dict[str, Any]) -> str:
    """A metadata value as stored (text): strings as sent, other JSON values (e.g. the list the
    client sends for `foreach-stack`) as their JSON text."""
    value = d.get("value")
    if value is None:
        raise BadRequest("'value' is required.")
    if isinstance(value, str):
        if "\x00" in value:
            raise BadRequest("'value' contains a NUL character.")
        return value
    return jsonio.dumps(value).decode()


def artifact_rows(value: Any) -> list[ArtifactIn]:
    out = []
    for d in rows(value):
        attempt = d.get("attempt_id", 0)
        if isinstance(attempt, bool) or not isinstance(attempt, int) or not 0 <= attempt <= 32767:
            raise BadRequest("'attempt_id' must be an integer from 0 to 32767.")
        out.append(
            ArtifactIn(
                name=req_str(d, "name"),
                location=req_str(d, "location"),
                ds_type=req_str(d, "ds_type"),
                sha=opt_str(d, "sha"),
                type=opt_str(d, "type"),
                content_type=opt_str(d, "content_type"),
                attempt_id=attempt,
                user=opt_str(d, "user_name"),
            )
        )
    return out


def attempt(segment: str) -> int:
    if not (segment.isascii() and segment.isdigit()) or int(segment) > 32767:
        raise BadRequest(f"attempt {segment[:20]!r} must be an integer from 0 to 32767.")
    return int(segment)
