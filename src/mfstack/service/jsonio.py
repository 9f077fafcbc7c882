"""JSON encoding in one place: orjson when installed (the `service` extra), else the stdlib."""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # pragma: no cover - exercised only without the extra
    orjson = None  # type: ignore[assignment]


def dumps(value: Any) -> bytes:
    """Encode to compact UTF-8 JSON bytes."""
    if orjson is not None:
        return orjson.dumps(value)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def loads(data: bytes | str) -> Any:
    """Decode JSON; raises ValueError on malformed input (both backends)."""
    if orjson is not None:
        return orjson.loads(data)
    return json.loads(data)
