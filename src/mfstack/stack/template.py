"""settings -> Template: the whole Metaflow stack, assembled from one module per component."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from troposphere import Output, Template

from mfstack import settings
from mfstack.stack import access, api, compute, metadata, migration, network, notebook, orchestration, params, storage
from mfstack.stack.outputs import OUTPUTS

DESCRIPTION = (
    "Metaflow on AWS (mfstack): S3 datastore, AWS Batch, Step Functions, metadata service "
    "behind API Gateway, optional SageMaker notebook and user role."
)
COMPONENTS = (network, storage, orchestration, compute, metadata, migration, api, access, notebook)


def build_template(values: Mapping[str, str] | None = None) -> Template:
    """The complete stack; `values` (resolved settings) become the parameters' defaults."""
    resolved = {**settings.defaults(), **(values or {})}
    template = Template(Description=DESCRIPTION)
    template.set_version("2010-09-09")
    params.add_parameters(template, resolved)
    params.add_conditions(template)
    for component in COMPONENTS:
        component.add(template)
    _add_outputs(template)
    return template


def _add_outputs(template: Template) -> None:
    for spec in OUTPUTS:
        if spec.value is None:
            raise ValueError(f"output {spec.name} has no value in stack/outputs.py")
        output = Output(spec.name, Description=spec.full_description, Value=spec.value)
        if spec.condition:
            output.Condition = spec.condition
        template.add_output(output)


def render(template: Template, fmt: Literal["yaml", "json"] = "yaml") -> str:
    """The template as CloudFormation YAML or JSON text (ends with a newline)."""
    if fmt == "json":
        text = str(template.to_json(indent=2))
    elif fmt == "yaml":
        text = str(template.to_yaml(clean_up=True, long_form=False))
    else:
        raise ValueError(f"unknown template format {fmt!r}: use yaml or json")
    return text if text.endswith("\n") else text + "\n"
