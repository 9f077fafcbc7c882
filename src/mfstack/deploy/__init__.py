"""Deploying the stack with CloudFormation: plan (change set), guard, apply, watch, diagnose, destroy.

Core modules return data (`Plan`, `DeployResult`, findings); only `mfstack.cli` prints or exits.
"""
