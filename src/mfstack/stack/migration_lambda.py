"""Schema migration custom resource: on create and update, bring the metadata database up to date.

Runs in a Lambda inside the VPC (inlined into the template, standard library only). It waits for
the service's migration port, reads GET /db_schema_status, calls PATCH /upgrade when the schema
is behind, checks again, then answers CloudFormation through the S3 gateway endpoint.
"""

import json
import time
import urllib.error
import urllib.request
from typing import Any

POLL_SECONDS = 10
MARGIN_MS = 30000


def call(url: str, method: str = "GET", timeout: float = 60.0) -> Any:
    """One HTTP call; returns the decoded JSON body (None when empty)."""
    req = urllib.request.Request(url, method=method, data=b"" if method != "GET" else None)
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        body = resp.read()
    return json.loads(body) if body.strip() else None


def wait_status(base: str, context: Any) -> Any:
    """GET /db_schema_status, retrying until the service answers or time runs out."""
    while True:
        try:
            return call(base + "/db_schema_status")
        except (urllib.error.URLError, OSError) as exc:
            if context.get_remaining_time_in_millis() < MARGIN_MS + POLL_SECONDS * 1000:
                raise RuntimeError(f"migration service at {base} did not answer: {exc}") from exc
            time.sleep(POLL_SECONDS)


def migrate(base: str, context: Any) -> dict[str, str]:
    """Upgrade the schema when it is behind; return what CloudFormation records."""
    status = wait_status(base, context)
    upgraded = "false"
    if not (isinstance(status, dict) and status.get("is_up_to_date")):
        call(base + "/upgrade", method="PATCH", timeout=300.0)
        upgraded = "true"
        status = call(base + "/db_schema_status")
        if isinstance(status, dict) and status.get("is_up_to_date") is False:
            raise RuntimeError(f"schema still behind after PATCH /upgrade: {json.dumps(status)[:300]}")
    version = status.get("current_version", "") if isinstance(status, dict) else ""
    return {"Upgraded": upgraded, "SchemaVersion": str(version)}


def respond(event: dict[str, Any], status: str, reason: str, data: dict[str, str]) -> None:
    """PUT the result to CloudFormation's presigned response URL."""
    physical = event.get("PhysicalResourceId") or "schema-migration-" + event["LogicalResourceId"]
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or "see the function's log group",
            "PhysicalResourceId": physical,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    req = urllib.request.Request(event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""})
    with urllib.request.urlopen(req, timeout=60) as resp:
        resp.read()


def handler(event: dict[str, Any], context: Any) -> None:
    """Custom resource entry point."""
    print(json.dumps({k: v for k, v in event.items() if k != "ResponseURL"}))
    status, reason, data = "SUCCESS", "", {}
    try:
        if event["RequestType"] in ("Create", "Update"):
            data = migrate(event["ResourceProperties"]["MigrationUrl"].rstrip("/"), context)
    except Exception as exc:
        status, reason = "FAILED", f"schema migration failed: {exc}"[:1000]
    print(status, reason, data)
    respond(event, status, reason, data)
