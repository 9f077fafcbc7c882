"""`mfstack cost`: estimated monthly cost of the stack, idle and per unit of use."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from mfstack import cost as core
from mfstack import settings
from mfstack.cli.app import app, console


def idle_table(title: str, est: core.CostEstimate) -> Table:
    """Idle monthly cost per component."""
    table = Table(title=title, title_justify="left")
    table.add_column("Component")
    table.add_column("Resource")
    table.add_column("Basis")
    table.add_column("$/month", justify="right")
    for line in est.lines:
        table.add_row(line.component, line.resource, line.basis, f"{line.monthly:,.2f}")
    table.add_row("[bold]idle total[/]", "", "", f"[bold]{est.idle_total:,.2f}[/]")
    return table


def usage_table(est: core.CostEstimate) -> Table:
    """Prices paid per unit of use."""
    table = Table(title="Per unit of use", title_justify="left")
    table.add_column("Item")
    table.add_column("$", justify="right")
    table.add_column("Per")
    table.add_column("Source")
    for u in est.usage:
        table.add_row(u.item, f"{u.price:g}", u.unit, u.source)
    return table


@app.command("cost")
def cost_command(
    set_: Annotated[list[str] | None, typer.Option("--set", help="Setting as Name=Value (repeatable).")] = None,
) -> int:
    """Estimated monthly cost (us-east-1 on-demand): idle per component, notebook on and off, and per use."""
    overrides = settings.parse_assignments(set_ or [])
    values = settings.resolve(overrides)
    est = core.estimate(values)
    notebook_on = values["EnableSagemaker"] == "true"
    other = core.estimate(settings.resolve({**overrides, "EnableSagemaker": "false" if notebook_on else "true"}))
    console.print(idle_table(f"Idle monthly cost (notebook {'on' if notebook_on else 'off'})", est))
    console.print(
        f"With the notebook {'off' if notebook_on else 'on'} ({values['SagemakerInstance']}): "
        f"${other.idle_total:,.2f}/month idle.",
        highlight=False,
    )
    console.print(usage_table(est))
    ref = core.reference_template_idle()
    quoted = core.price_table()["reference_template_defaults"]["quoted_idle_month"]
    console.print(
        f"The reference Metaflow template at its defaults idles at ${ref.idle_total:,.2f}/month with the same prices "
        f"(quoted elsewhere as about ${quoted}/month).",
        highlight=False,
    )
    table = core.price_table()
    console.print(
        f"Prices: {table['region']} on-demand, compiled {table['compiled']}. {table['basis']}",
        highlight=False,
        soft_wrap=True,
    )
    return 0
