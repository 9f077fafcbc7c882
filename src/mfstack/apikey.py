"""The metadata service's API key: its id is a stack output, its value is fetched from API Gateway."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mfstack.aws import AwsContext, aws_errors, error_code
from mfstack.errors import AwsError
from mfstack.stack.outputs import API_KEY_OUTPUT


@dataclass(frozen=True)
class ApiKey:
    """An API Gateway key (the value is a secret: print it only on request)."""

    key_id: str
    name: str
    value: str
    enabled: bool


def api_key_id(outputs: Mapping[str, str]) -> str | None:
    """The key id a stack publishes, or None when the stack runs without API key auth."""
    value = outputs.get(API_KEY_OUTPUT, "").strip()
    return value or None


def fetch_api_key(aws: AwsContext, key_id: str) -> ApiKey:
    """The key with its value (`get_api_key(includeValue=True)`)."""
    try:
        raw = aws.client("apigateway").get_api_key(apiKey=key_id, includeValue=True)
    except Exception as exc:
        if error_code(exc) == "NotFoundException":
            raise AwsError(
                f"The API key {key_id} named by the stack's {API_KEY_OUTPUT} output does not exist in API Gateway.",
                hint="Run `mfstack deploy` again to recreate it, or check --region.",
            ) from exc
        with aws_errors(f"read the API key {key_id}"):
            raise
    return ApiKey(
        key_id=raw["id"], name=raw.get("name", ""), value=raw.get("value", ""), enabled=bool(raw.get("enabled", True))
    )


def stack_api_key(aws: AwsContext, outputs: Mapping[str, str]) -> ApiKey | None:
    """The stack's API key with its value, or None when the stack has none."""
    key_id = api_key_id(outputs)
    return fetch_api_key(aws, key_id) if key_id else None


def mask(value: str) -> str:
    """A key shown without revealing it: its last 4 characters."""
    return f"****{value[-4:]}" if len(value) > 8 else "****"
