"""`mfstack doctor`: does the stack (cloud or local) work for a Metaflow user? One line per check."""

from __future__ import annotations

from rich.markup import escape

from mfstack import apikey
from mfstack import doctor as core
from mfstack.cli.app import app, console
from mfstack.cli.options import EndpointUrl, Profile, Region, StackName, cloud_target
from mfstack.cli.status import DataDir, local_dispatch
from mfstack.deploy.stackinfo import require_stack


def render_checks(results: list[core.CheckResult]) -> int:
    """Print one line per check (and the hint of each failure); 0 when all passed."""
    for r in results:
        mark = "[green]ok  [/]" if r.ok else "[red]FAIL[/]"
        console.print(f"{mark} {escape(r.name)}: {escape(r.detail)}", highlight=False, soft_wrap=True)
        if not r.ok and r.hint:
            console.print(f"     hint: {r.hint}", markup=False, highlight=False, soft_wrap=True)
    failed = sum(not r.ok for r in results)
    console.print(f"{len(results) - failed} passed, {failed} failed.")
    return 1 if failed else 0


@app.command("doctor")
def doctor_command(
    data_dir: DataDir = None,
    stack_name: StackName = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> int:
    """Check S3, the metadata service (with and without the key), Batch, DynamoDB and the roles."""
    local_dir = local_dispatch(data_dir, stack_name, region, profile, endpoint_url)
    if local_dir is not None:
        from mfstack.cli import local as local_cli

        return int(local_cli.run_local_doctor(local_dir))
    target = cloud_target(stack_name, region, profile, endpoint_url)
    info = require_stack(target.aws, target.stack_name)
    key = apikey.stack_api_key(target.aws, info.outputs)
    result = core.run_checks(core.target_from_outputs(info.outputs, key.value if key else None), target.aws)
    return render_checks(result)
