"""The Metaflow stack as troposphere code: pure settings -> Template, no I/O, no boto3."""

from mfstack.stack.template import build_template, render

__all__ = ["build_template", "render"]
