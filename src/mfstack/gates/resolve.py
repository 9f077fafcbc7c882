"""Turn a template's intrinsic functions into plausible concrete values, for policy analysis.

Parliament reads plain IAM JSON. This evaluates the template's conditions for the settings it
was synthesized from, drops resources and branches that are switched off, and replaces every
`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join` and `Fn::If` with a value of the right shape (an ARN
of the right service and resource type), so ARN-to-action matching works as it would in AWS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ACCOUNT = "123456789012"
STACK = "metaflow"
_DROP = object()

# Resource type -> (Ref value, Arn) patterns; {p} partition, {r} region, {a} account, {n} name.
SHAPES: dict[str, tuple[str, str]] = {
    "AWS::IAM::Role": ("{n}", "arn:{p}:iam::{a}:role/{n}"),
    "AWS::IAM::ManagedPolicy": ("arn:{p}:iam::{a}:policy/{n}", "arn:{p}:iam::{a}:policy/{n}"),
    "AWS::S3::Bucket": ("{n}", "arn:{p}:s3:::{n}"),
    "AWS::DynamoDB::Table": ("{n}", "arn:{p}:dynamodb:{r}:{a}:table/{n}"),
    "AWS::Logs::LogGroup": ("{n}", "arn:{p}:logs:{r}:{a}:log-group:{n}:*"),
    "AWS::Batch::JobQueue": ("arn:{p}:batch:{r}:{a}:job-queue/{n}", "arn:{p}:batch:{r}:{a}:job-queue/{n}"),
    "AWS::SecretsManager::Secret": ("arn:{p}:secretsmanager:{r}:{a}:secret:{n}-AbCdEf", ""),
    "AWS::Lambda::Function": ("{n}", "arn:{p}:lambda:{r}:{a}:function:{n}"),
    "AWS::EC2::Subnet": ("subnet-0123456789abcdef0", ""),
    "AWS::EC2::SecurityGroup": ("sg-0123456789abcdef0", ""),
    "AWS::ApiGateway::ApiKey": ("a1b2c3d4e5", ""),
}


@dataclass
class Context:
    """What the resolver knows: parameter values, condition truth, resource types, partition."""

    params: Mapping[str, str]
    conditions: dict[str, bool]
    types: dict[str, str]
    partition: str
    region: str

    def fill(self, pattern: str, name: str) -> str:
        return pattern.format(p=self.partition, r=self.region, a=ACCOUNT, n=f"{STACK}-{name.lower()}")


def context(template: Mapping[str, Any], values: Mapping[str, str], region: str) -> Context:
    """A resolver context for a template synthesized from `values`."""
    params = {
        name: str(values.get(name, spec.get("Default", ""))) for name, spec in template.get("Parameters", {}).items()
    }
    ctx = Context(
        params, {}, {k: v["Type"] for k, v in template["Resources"].items()}, params.get("IAMPartition", "aws"), region
    )
    raw = template.get("Conditions", {})
    for name in raw:
        ctx.conditions[name] = _condition(raw[name], raw, ctx)
    return ctx


def _condition(node: Any, raw: Mapping[str, Any], ctx: Context) -> bool:
    ((fn, args),) = node.items()
    if fn == "Fn::Equals":
        return bool(resolve(args[0], ctx) == resolve(args[1], ctx))
    if fn == "Fn::Not":
        return not _condition(args[0], raw, ctx)
    if fn == "Fn::And":
        return all(_condition(a, raw, ctx) for a in args)
    if fn == "Fn::Or":
        return any(_condition(a, raw, ctx) for a in args)
    if fn == "Condition":
        return _condition(raw[args], raw, ctx)
    raise ValueError(f"unsupported condition function {fn}")


def active(resource: Mapping[str, Any], ctx: Context) -> bool:
    """Whether a resource exists for these settings."""
    cond = resource.get("Condition")
    return cond is None or ctx.conditions[cond]


def _ref(name: str, ctx: Context) -> str:
    pseudo = {
        "AWS::Region": ctx.region,
        "AWS::AccountId": ACCOUNT,
        "AWS::StackName": STACK,
        "AWS::Partition": ctx.partition,
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackId": f"arn:{ctx.partition}:cloudformation:{ctx.region}:{ACCOUNT}:stack/{STACK}/0a1b2c3d",
    }
    if name in pseudo:
        return pseudo[name]
    if name in ctx.params:
        return ctx.params[name]
    ref, _ = SHAPES.get(ctx.types.get(name, ""), ("{n}", ""))
    return ctx.fill(ref, name)


def _getatt(name: str, attr: str, ctx: Context) -> str:
    _, arn = SHAPES.get(ctx.types.get(name, ""), ("", ""))
    if attr == "Arn" and arn:
        return ctx.fill(arn, name)
    return ctx.fill("{n}-" + attr.lower().replace(".", "-"), name)


def _sub(text: str, variables: Mapping[str, Any], ctx: Context) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key.startswith("!"):
            return "${" + key[1:] + "}"
        if key in variables:
            return str(resolve(variables[key], ctx))
        if "." in key and not key.startswith("AWS::"):
            name, attr = key.split(".", 1)
            return _getatt(name, attr, ctx)
        return _ref(key, ctx)

    return re.sub(r"\$\{([^}]+)\}", one, text)


def resolve(node: Any, ctx: Context) -> Any:
    """`node` with every intrinsic function replaced by a concrete value (NoValue removed)."""
    if isinstance(node, list):
        return [v for v in (resolve(x, ctx) for x in node) if v is not _DROP]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        ((fn, args),) = node.items()
        if fn == "Ref":
            return _DROP if args == "AWS::NoValue" else _ref(args, ctx)
        if fn == "Fn::GetAtt":
            name, attr = args if isinstance(args, list) else args.split(".", 1)
            return _getatt(name, attr, ctx)
        if fn == "Fn::Sub":
            text, variables = (args, {}) if isinstance(args, str) else args
            return _sub(text, variables, ctx)
        if fn == "Fn::Join":
            return args[0].join(str(resolve(x, ctx)) for x in args[1])
        if fn == "Fn::If":
            return resolve(args[1] if ctx.conditions[args[0]] else args[2], ctx)
    out = {k: resolve(v, ctx) for k, v in node.items()}
    return {k: v for k, v in out.items() if v is not _DROP}
