"""Network: a VPC with two public subnets in two AZs, an internet gateway, and a free S3 endpoint.

There is no NAT gateway (it would cost money while the stack idles): Batch hosts, the service
and the notebook get public addresses for outbound traffic, and security groups admit nothing
from outside the VPC. The S3 gateway endpoint lets the migration Lambda (which has no public
address) reach CloudFormation's response URL in S3.
"""

from __future__ import annotations

from troposphere import GetAtt, GetAZs, Ref, Select, Sub, Tags, Template, ec2


def _subnet(index: int) -> ec2.Subnet:
    return ec2.Subnet(
        f"Subnet{index}",
        VpcId=Ref("VPC"),
        CidrBlock=Ref(f"Subnet{index}Cidr"),
        AvailabilityZone=Select(index - 1, GetAZs("")),
        MapPublicIpOnLaunch=True,
        Tags=Tags(Name=Sub(f"${{AWS::StackName}}-subnet-{index}")),
    )


def add(template: Template) -> None:
    """Add the VPC, subnets, routing and the S3 gateway endpoint."""
    template.add_resource(
        ec2.VPC(
            "VPC",
            CidrBlock=Ref("VPCCidr"),
            EnableDnsSupport=True,
            EnableDnsHostnames=True,
            Tags=Tags(Name=Sub("${AWS::StackName}-vpc")),
        )
    )
    for index in (1, 2):
        template.add_resource(_subnet(index))
    template.add_resource(ec2.InternetGateway("InternetGateway"))
    template.add_resource(
        ec2.VPCGatewayAttachment("GatewayAttachement", VpcId=Ref("VPC"), InternetGatewayId=Ref("InternetGateway"))
    )
    _add_routing(template)


def _add_routing(template: Template) -> None:
    template.add_resource(ec2.RouteTable("PublicRouteTable", VpcId=Ref("VPC")))
    template.add_resource(
        ec2.Route(
            "DefaultGateway",
            DependsOn="GatewayAttachement",
            RouteTableId=Ref("PublicRouteTable"),
            DestinationCidrBlock="0.0.0.0/0",
            GatewayId=Ref("InternetGateway"),
        )
    )
    for index in (1, 2):
        template.add_resource(
            ec2.SubnetRouteTableAssociation(
                f"Subnet{index}RTA",
                SubnetId=Ref(f"Subnet{index}"),
                RouteTableId=Ref("PublicRouteTable"),
            )
        )
    template.add_resource(
        ec2.VPCEndpoint(
            "S3GatewayEndpoint",
            VpcId=Ref("VPC"),
            ServiceName=Sub("com.amazonaws.${AWS::Region}.s3"),
            VpcEndpointType="Gateway",
            RouteTableIds=[Ref("PublicRouteTable")],
        )
    )


def vpc_cidr() -> GetAtt:
    """The VPC's CIDR block, for rules that admit traffic from inside the VPC only."""
    return GetAtt("VPC", "CidrBlock")
