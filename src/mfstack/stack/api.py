"""API: API Gateway REST API in front of the internal NLB, stage `api`, optional API key.

API Gateway terminates TLS and reaches the NLB through a VPC link. With APIBasicAuth=true every
method requires an API key, tied to a usage plan that throttles; the key's id is an output, its
value never is (`mfstack configure` fetches it).
"""

from __future__ import annotations

import hashlib
import json

from troposphere import GetAtt, If, Ref, Sub, Template, apigateway

from mfstack.stack.common import AUTH, MIGRATION_PORT, NO_AUTH, checkov_skip

API = "Api"
STAGE = "api"
RATE_LIMIT = 100.0
BURST_LIMIT = 200

METHOD_SKIPS = checkov_skip(
    (
        "CKV_AWS_59",
        "Protected by the API key (APIBasicAuth) and the usage plan; IAM auth is not supported by the Metaflow client",
    ),
)


def _method(name: str, resource: str, http_method: str, uri: Sub, proxy: bool) -> apigateway.Method:
    integration = apigateway.Integration(
        Type="HTTP_PROXY",
        IntegrationHttpMethod=http_method,
        ConnectionType="VPC_LINK",
        ConnectionId=Ref("VpcLink"),
        Uri=uri,
        PassthroughBehavior="WHEN_NO_MATCH",
        RequestParameters={"integration.request.path.proxy": "method.request.path.proxy"} if proxy else {},
    )
    return apigateway.Method(
        name,
        RestApiId=Ref(API),
        ResourceId=Ref(resource),
        HttpMethod=http_method,
        AuthorizationType="NONE",
        ApiKeyRequired=If(AUTH, True, False),
        RequestParameters={"method.request.path.proxy": True} if proxy else {},
        Integration=integration,
        Metadata=METHOD_SKIPS,
    )


def _api() -> list[object]:
    return [
        apigateway.RestApi(
            API,
            Name=Sub("${AWS::StackName}-metadata-api"),
            Description="Metaflow metadata service",
            EndpointConfiguration=apigateway.EndpointConfiguration(Types=["REGIONAL"]),
        ),
        apigateway.VpcLink("VpcLink", Name=Sub("${AWS::StackName}-nlb"), TargetArns=[Ref("NLB")]),
        apigateway.Resource(
            "ProxyResource", RestApiId=Ref(API), ParentId=GetAtt(API, "RootResourceId"), PathPart="{proxy+}"
        ),
        apigateway.Resource(
            "DbSchemaStatusResource",
            RestApiId=Ref(API),
            ParentId=GetAtt(API, "RootResourceId"),
            PathPart="db_schema_status",
        ),
        _method("ProxyMethod", "ProxyResource", "ANY", Sub("http://${NLB.DNSName}/{proxy}"), proxy=True),
        _method(
            "DbSchemaStatusMethod",
            "DbSchemaStatusResource",
            "GET",
            Sub(f"http://${{NLB.DNSName}}:{MIGRATION_PORT}/db_schema_status"),
            proxy=False,
        ),
    ]


def _fingerprint(api: list[object]) -> str:
    """A short digest of the API's resources and methods: it changes whenever they do."""
    shapes = [obj.to_dict() for obj in api if isinstance(obj, (apigateway.Resource, apigateway.Method))]
    return hashlib.sha256(json.dumps(shapes, sort_keys=True, default=str).encode()).hexdigest()[:8]


def _deployments(api: list[object]) -> list[apigateway.Deployment]:
    """One deployment per auth state, named after the API's shape.

    A deployment is a snapshot of the methods: API Gateway keeps serving the old snapshot when a
    method changes in place. A new logical id (new shape, or APIBasicAuth switched) makes
    CloudFormation create a fresh deployment and point the stage at it.
    """
    digest = _fingerprint(api)
    return [
        apigateway.Deployment(
            f"ApiDeployment{state}{digest}",
            Condition=condition,
            DependsOn=["ProxyMethod", "DbSchemaStatusMethod"],
            RestApiId=Ref(API),
            Description=f"Metaflow metadata API ({state.lower()}, shape {digest})",
        )
        for state, condition in (("Auth", AUTH), ("Open", NO_AUTH))
    ]


def _stage(deployments: list[apigateway.Deployment]) -> list[object]:
    auth, open_ = deployments
    stage = apigateway.Stage(
        "ApiStage",
        StageName=STAGE,
        RestApiId=Ref(API),
        DeploymentId=If(AUTH, Ref(auth), Ref(open_)),
        TracingEnabled=False,
        MethodSettings=[
            apigateway.MethodSetting(
                HttpMethod="*", ResourcePath="/*", ThrottlingRateLimit=RATE_LIMIT, ThrottlingBurstLimit=BURST_LIMIT
            )
        ],
        Metadata=checkov_skip(
            ("CKV_AWS_120", "Metadata is live run state; a cache would serve stale runs and tasks"),
            ("CKV_AWS_73", "X-Ray tracing bills per request and is not needed to run Metaflow"),
            ("CKV_AWS_76", "Access logs need an account-wide API Gateway logging role, which a stack must not change"),
            ("CKV2_AWS_4", "Execution logs need an account-wide API Gateway logging role (see CKV_AWS_76)"),
            ("CKV2_AWS_29", "A WAF web ACL bills monthly; every method requires the API key and is throttled"),
            ("CKV2_AWS_51", "Clients authenticate with the API key; client certificates would not reach the NLB"),
        ),
    )
    return [*deployments, stage]


def _auth() -> list[object]:
    key = apigateway.ApiKey(
        "ApiKey",
        Condition=AUTH,
        DependsOn=["ApiStage"],
        Enabled=True,
        Description=Sub("Metaflow metadata service key of stack ${AWS::StackName}"),
    )
    plan = apigateway.UsagePlan(
        "UsagePlan",
        Condition=AUTH,
        DependsOn=["ApiStage"],
        UsagePlanName=Sub("${AWS::StackName}-metadata"),
        ApiStages=[apigateway.ApiStage(ApiId=Ref(API), Stage=STAGE)],
        Throttle=apigateway.ThrottleSettings(RateLimit=RATE_LIMIT, BurstLimit=BURST_LIMIT),
    )
    plan_key = apigateway.UsagePlanKey(
        "UsagePlanKey", Condition=AUTH, KeyId=Ref(key), KeyType="API_KEY", UsagePlanId=Ref(plan)
    )
    return [key, plan, plan_key]


def service_url() -> Sub:
    """Public (TLS) URL of the metadata service."""
    return Sub(f"https://${{{API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{STAGE}/")


def add(template: Template) -> None:
    """Add the REST API, VPC link, methods, stage and (when auth is on) the key and usage plan."""
    api = _api()
    for resource in (*api, *_stage(_deployments(api)), *_auth()):
        template.add_resource(resource)
