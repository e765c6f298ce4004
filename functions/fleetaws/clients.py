"""boto3 clients, made once per warm Lambda container and reused across invocations."""

from __future__ import annotations

import functools

import boto3
from botocore.config import Config

from fleetaws.config import AwsEnv

# Standard retries back off on throttling, which a fleet-wide run of scans meets first.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


@functools.lru_cache(maxsize=32)
def client(aws: AwsEnv, service: str, region: str | None = None):
    """A client for `service` in `region` (default: the function's), cached by where it points."""
    return session_client(boto3.session.Session(), aws, service, region)


def session_client(session: boto3.session.Session, aws: AwsEnv, service: str, region: str | None = None):
    """A client of `session` (e.g. an assumed role's) for `service` in `region`, pointed where `aws` says."""
    return session.client(service, region_name=region or aws.region, endpoint_url=aws.endpoint_url, config=_CONFIG)


def assumed_session(aws: AwsEnv, role_arn: str) -> boto3.session.Session:
    """A session acting as `role_arn` (another account's read-only role): assume once, a client per region
    from it; never cached, its credentials expire."""
    creds = client(aws, "sts").assume_role(RoleArn=role_arn, RoleSessionName="sliceaudit-inventory")["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
