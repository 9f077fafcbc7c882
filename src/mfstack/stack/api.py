"""API: API Gateway REST API in front of the internal NLB, stage `api`, optional API key.

API Gateway terminates TLS and reaches the NLB through a VPC link. With APIBasicAuth=true every
method requires an API key, tied to a usage plan that throttles; the key's id is an output, its
value never is (`mfstack configure` fetches it).
"""

from __future__ import annotations

import hashlib
import json

from troposphere import GetAtt, If, Ref, Sub, Template, apigateway

from mfstack.stack.common import AUTH, MIGRATION_PORT, NO_AUTH

API = "Api"
STAGE = "api"
RATE_LIMIT = 100.0
BURST_LIMIT = 200


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
    )


def _api() -> list[object]:
    return [
        apigateway.RestApi(
            API,
            Name=Sub("${AWS::StackName}-api"),
            Description="Metaflow metadata service",
            EndpointConfiguration=apigateway.EndpointConfiguration(Types=["REGIONAL"]),
        ),
        apigateway.VpcLink("VpcLink", Name=Sub("${AWS::StackName}-vpclink"), TargetArns=[Ref("NLB")]),
        apigateway.Resource(
            "ApiResource", RestApiId=Ref(API), ParentId=GetAtt(API, "RootResourceId"), PathPart="{proxy+}"
        ),
        apigateway.Resource(
            "DBApiResource",
            RestApiId=Ref(API),
            ParentId=GetAtt(API, "RootResourceId"),
            PathPart="db_schema_status",
        ),
        _method("ProxyMethod", "ApiResource", "ANY", Sub("http://${NLB.DNSName}/{proxy}"), proxy=True),
        _method(
            "DBMethod",
            "DBApiResource",
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
    """One deployment per auth state, named after the API's shape; each deploys stage `api`.

    A deployment is a snapshot of the methods: API Gateway keeps serving the old snapshot when a
    method changes in place. A new logical id (new shape, or APIBasicAuth switched) makes
    CloudFormation create a fresh deployment, which repoints the existing stage, and then delete
    the old one. The stage is the deployment's (as in the reference template), not a separate
    `AWS::ApiGateway::Stage`: a separate one would collide with the stage of a stack made from
    the reference template ("Stage already exists") when that stack is updated to this one.
    """
    digest = _fingerprint(api)
    return [
        apigateway.Deployment(
            deployment_id(state, digest),
            Condition=condition,
            DependsOn=["ProxyMethod", "DBMethod"],
            RestApiId=Ref(API),
            StageName=STAGE,
            Description=f"Metaflow metadata API ({state.lower()}, shape {digest})",
        )
        for state, condition in (("Auth", AUTH), ("Open", NO_AUTH))
    ]


def deployment_id(state: str, digest: str) -> str:
    """Logical id of the deployment for one auth state and API shape."""
    return f"ApiDeployment{state}{digest}"


def _auth(auth_deployment: str) -> list[object]:
    key = apigateway.ApiKey(
        "ApiKey",
        Condition=AUTH,
        Name=Sub("${AWS::StackName}-ApiKey"),
        Enabled=True,
        Description=Sub("Metaflow metadata service key of stack ${AWS::StackName}"),
    )
    plan = apigateway.UsagePlan(
        "ApiUsagePlan",
        Condition=AUTH,
        DependsOn=[auth_deployment],
        UsagePlanName=Sub("${AWS::StackName}-usage-plan"),
        ApiStages=[apigateway.ApiStage(ApiId=Ref(API), Stage=STAGE)],
        Throttle=apigateway.ThrottleSettings(RateLimit=RATE_LIMIT, BurstLimit=BURST_LIMIT),
    )
    plan_key = apigateway.UsagePlanKey(
        "ApiUsagePlanKey", Condition=AUTH, KeyId=Ref(key), KeyType="API_KEY", UsagePlanId=Ref(plan)
    )
    return [key, plan, plan_key]


def add(template: Template) -> None:
    """Add the REST API, VPC link, methods, stage and (when auth is on) the key and usage plan."""
    api = _api()
    deployments = _deployments(api)
    for resource in (*api, *deployments, *_auth(deployments[0].title)):
        template.add_resource(resource)
