"""`mfstack deploy`: settings -> change set -> guard -> confirm -> apply with live progress -> profile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.markup import escape

from mfstack import cost, settings
from mfstack.cli.app import app, console, err_console
from mfstack.cli.configure import write_profile
from mfstack.cli.options import (
    CloudTarget,
    EndpointUrl,
    Profile,
    Region,
    StackName,
    cloud_target,
    require_answer,
)
from mfstack.cli.progress import EventView, outputs_table, plan_table
from mfstack.deploy import apply, guard, plan
from mfstack.deploy.stackinfo import require_stack
from mfstack.deploy.template import load_template, read_template_file
from mfstack.errors import AwsError, MfstackError, SettingError

IAM_NOTE = (
    "This stack creates IAM roles and policies (the console's 'I acknowledge that AWS CloudFormation might create "
    "IAM resources with custom names' checkbox)."
)


def load_config(path: Path) -> dict[str, str]:
    """Settings from a YAML/JSON file: a Name: Value mapping, or CloudFormation's parameter list."""
    try:
        data: Any = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise SettingError(f"Cannot read the config file {path} ({exc.strerror}).") from exc
    except yaml.YAMLError as exc:
        raise SettingError(f"The config file {path} is not valid YAML or JSON ({exc}).") from exc
    if isinstance(data, list) and all(isinstance(p, dict) and "ParameterKey" in p for p in data):
        return {str(p["ParameterKey"]): str(p.get("ParameterValue", "")) for p in data}
    if isinstance(data, dict):
        section = data.get("settings", data)
        if isinstance(section, dict):
            return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in section.items()}
    raise SettingError(f"The config file {path} must map setting names to values, e.g. 'BatchType: fargate'.")


def parse_tags(pairs: list[str]) -> dict[str, str]:
    """`--tag K=V` pairs as a dict."""
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SettingError(f"'{pair}' is not a tag: write it as Key=Value, e.g. --tag team=ml.")
        tags[key.strip()] = value.strip()
    return tags


def _template_body(template: Path | None, values: dict[str, str]) -> str:
    if template is not None:
        return read_template_file(template)
    from mfstack.stack import build_template, render

    return render(build_template(values), "json")


def _confirm(p: plan.Plan, yes: bool) -> bool:
    iam = any(c.resource_type.startswith("AWS::IAM::") and c.kind != "remove" for c in p.changes)
    if iam:
        console.print(IAM_NOTE, highlight=False)
    if yes:
        return True
    require_answer("Applying the plan", "--yes")
    question = "Acknowledge the IAM resources and apply this plan?" if iam else "Apply this plan?"
    return typer.confirm(question, default=False)


def _show_plan(p: plan.Plan, idle: float) -> None:
    console.print(plan_table(p))
    counts = ", ".join(f"{n} {kind}" for kind, n in sorted(p.counts().items()))
    console.print(f"Changes: {counts or 'none'}.", highlight=False)
    console.print(
        f"Estimated idle cost: ${idle:,.2f}/month (us-east-1 on-demand; `mfstack cost` for details).", highlight=False
    )


def _idle_cost(body: str, values: dict[str, str]) -> float:
    return cost.estimate_template(load_template(body), values).idle_total


Sets = Annotated[
    list[str] | None, typer.Option("--set", help="Setting as Name=Value (repeatable); see `mfstack synth --help`.")
]
Tags = Annotated[list[str] | None, typer.Option("--tag", help="Stack tag as Key=Value (repeatable).")]


@app.command()
def deploy(
    set_: Sets = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="YAML/JSON file of settings (Name: Value); --set wins.")
    ] = None,
    tag: Tags = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Apply without asking (acknowledges IAM resources).")
    ] = False,
    allow_data_loss: Annotated[
        bool,
        typer.Option(
            "--allow-data-loss", help="Apply even if the bucket, database, secret or table would be replaced."
        ),
    ] = False,
    no_configure: Annotated[
        bool, typer.Option("--no-configure", help="Do not write the Metaflow profile at the end.")
    ] = False,
    metaflow_profile: Annotated[
        str | None, typer.Option("--metaflow-profile", help="Metaflow profile to write.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing Metaflow profile (a backup is kept).")
    ] = False,
    template: Annotated[
        Path | None, typer.Option("--template", help="Deploy this template file instead of the synthesized one.")
    ] = None,
    stack_name: StackName = None,
    region: Region = None,
    profile: Profile = None,
    endpoint_url: EndpointUrl = None,
) -> int:
    """Create or update the Metaflow stack through a change set, then write the Metaflow profile."""
    overrides = {**(load_config(config) if config else {}), **settings.parse_assignments(set_ or [])}
    values = settings.resolve(overrides)
    tags = parse_tags(tag or [])
    body = _template_body(template, values)
    target = cloud_target(stack_name, region, profile, endpoint_url)
    p = plan.create_plan(target.aws, plan.PlanRequest(target.stack_name, body, values, tags))
    if p.no_changes:
        console.print(f"No changes: the stack '{target.stack_name}' already matches this template and these settings.")
        return 0
    _show_plan(p, _idle_cost(body, values))
    try:
        findings = guard.enforce(p, allow_data_loss)
        if not _confirm(p, yes):
            plan.discard(target.aws, p)
            console.print("Nothing was changed.")
            return 1
    except BaseException:  # a refusal, "no", Ctrl-C at the prompt: leave nothing behind
        plan.discard(target.aws, p)
        raise
    for finding in findings:
        err_console.print(f"[yellow]Data loss accepted:[/] {escape(finding.explain())}.", highlight=False)
    result = _execute(target, p)
    return _finish(target, result, no_configure, metaflow_profile, force)


def _execute(target: CloudTarget, p: plan.Plan) -> apply.DeployResult:
    title = "Creating" if p.change_set_type == "CREATE" else "Updating"
    try:
        with EventView(len(p.changes), f"{title} {target.stack_name}") as view:
            return apply.execute(target.aws, p, apply.ApplyOptions(on_event=view.on_event))
    except KeyboardInterrupt:
        err_console.print(
            f"Stopped watching. The deployment goes on in AWS; follow it with `mfstack status{target.flags()}`.",
            highlight=False,
        )
        raise typer.Exit(130) from None


def _finish(target: CloudTarget, result: apply.DeployResult, no_configure: bool, name: str | None, force: bool) -> int:
    if not result.ok:
        cause = result.cause.describe() if result.cause else "CloudFormation gave no reason"
        then = (
            f"delete it with `mfstack destroy{target.flags()}` (data is kept), fix the cause and deploy again"
            if result.status in ("ROLLBACK_COMPLETE", "ROLLBACK_FAILED")
            else "fix the cause and run `mfstack deploy` again"
        )
        raise AwsError(
            f"The deploy of '{target.stack_name}' failed and the stack is {result.status}. Root cause: {cause}.",
            hint=f"See every event with `mfstack status{target.flags()}`; {then}.",
        )
    info = result.stack or require_stack(target.aws, target.stack_name)
    console.print(f"[green]Stack '{target.stack_name}' is {info.status}.[/]")
    console.print(outputs_table(info.outputs))
    if no_configure:
        return 0
    try:
        write_profile(target, info.outputs, name, force, show_secrets=False)
    except MfstackError as exc:
        err_console.print(
            f"[yellow]The stack is deployed, but the Metaflow profile was not written:[/] {escape(str(exc))}",
            highlight=False,
        )
    return 0
