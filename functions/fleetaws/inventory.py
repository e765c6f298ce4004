"""The fleet inventory: static entries from SSM Parameter Store plus EKS clusters discovered per region."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from fleetaws.clients import assumed_session, client, session_client
from fleetaws.config import AwsEnv, PlanConfig
from fleetaws.messages import BadMessage, ClusterTarget
from sliceaudit.kube.clusters import eks_cluster


@dataclass(frozen=True)
class Inventory:
    targets: tuple[ClusterTarget, ...]
    problems: tuple[str, ...]   # one line per entry or region that could not be read; the rest still runs


def entry_target(parameter: str, value: str) -> ClusterTarget:
    """One SSM parameter's JSON value as a cluster; its name defaults to the parameter's last segment.

    {"source": "eks", "cluster": "prod", "region": "eu-west-1", "role_arn": "arn:...",
     "endpoint": "https://...", "ca_data": "LS0t..."}   (role_arn, endpoint, ca_data optional)
    {"source": "kubeconfig", "secret": "sliceaudit/onprem-1", "context": "onprem-1"}
    """
    try:
        data = json.loads(value)
    except ValueError:
        raise BadMessage(f"{parameter}: value is not JSON") from None
    if not isinstance(data, dict):
        raise BadMessage(f"{parameter}: value is not a JSON object")
    name = str(data.get("name") or parameter.rstrip("/").rsplit("/", 1)[-1])
    source = data.get("source", "eks" if "region" in data else "kubeconfig")
    if source == "eks":
        cluster, region = data.get("cluster") or name, data.get("region")
        if not isinstance(region, str) or not region:
            raise BadMessage(f"{parameter}: an eks entry needs a region")
        # endpoint + ca_data (base64 PEM) spare a DescribeCluster, e.g. in an account that denies it
        access = eks_cluster(str(cluster), region, role_arn=data.get("role_arn") or None,
                             endpoint=data.get("endpoint") or None, ca_data=data.get("ca_data") or None,
                             display_name=name if name != cluster else None)
        return ClusterTarget(name, access=access.to_dict())
    if source == "kubeconfig":
        secret = data.get("secret")
        if not isinstance(secret, str) or not secret:
            raise BadMessage(f"{parameter}: a kubeconfig entry needs secret (a Secrets Manager name or ARN)")
        return ClusterTarget(name, kubeconfig_secret=secret, context=data.get("context") or None)
    raise BadMessage(f"{parameter}: source must be eks or kubeconfig, not {source!r}")


def static_targets(aws: AwsEnv, path: str) -> tuple[list[ClusterTarget], list[str]]:
    targets, problems = [], []
    pages = client(aws, "ssm").get_paginator("get_parameters_by_path").paginate(
        Path=path, Recursive=True, WithDecryption=True)
    try:
        for page in pages:
            for param in page["Parameters"]:
                try:
                    targets.append(entry_target(param["Name"], param["Value"]))
                except BadMessage as err:
                    problems.append(str(err))
    except (BotoCoreError, ClientError) as err:
        problems.append(f"SSM parameters under {path}: {err}")
    return targets, problems


def account_of(role_arn: str | None) -> str:
    return role_arn.split(":")[4] if role_arn and role_arn.count(":") >= 5 else "self"


def eks_targets(aws: AwsEnv, regions: Sequence[str], roles: Iterable[str]) -> tuple[list[ClusterTarget], list[str]]:
    """Every EKS cluster in each region, as this account and as each role (another account's)."""
    targets, problems = [], []
    for role in (None, *roles):
        try:
            session = assumed_session(aws, role) if role else None
        except (BotoCoreError, ClientError) as err:
            problems.append(f"EKS clusters of {account_of(role)}: cannot assume {role}: {err}")
            continue
        for region in regions:
            try:
                eks = session_client(session, aws, "eks", region) if session else client(aws, "eks", region)
                for page in eks.get_paginator("list_clusters").paginate():
                    for name in page["clusters"]:
                        access = eks_cluster(name, region, role_arn=role)
                        targets.append(ClusterTarget(name, access=access.to_dict()))
            except (BotoCoreError, ClientError) as err:
                problems.append(f"EKS clusters of {account_of(role)} in {region}: {err}")
    return targets, problems


def unique_names(targets: Iterable[ClusterTarget]) -> tuple[list[ClusterTarget], list[str]]:
    """Drops repeats of one cluster, qualifies EKS names two clusters share (region, account), and
    drops any other name used twice: a run counts its clusters by name."""
    seen: dict[tuple, ClusterTarget] = {}
    for t in targets:
        seen.setdefault(_identity(t), t)
    counts: dict[str, int] = {}
    for t in seen.values():
        counts[t.name] = counts.get(t.name, 0) + 1
    named: dict[str, ClusterTarget] = {}
    problems = []
    for t in seen.values():
        if counts[t.name] > 1 and t.access is not None:
            a = t.access
            account = f"{account_of(a['role_arn'])}/" if a.get("role_arn") else ""
            qualified = f"{account}{a.get('region')}/{t.name}"
            t = ClusterTarget(qualified, access={**a, "name": qualified, "cluster": a.get("cluster") or a["name"]})
        if t.name in named:
            problems.append(f"cluster name {t.name} is used twice: only the first entry is scanned")
            continue
        named[t.name] = t
    return sorted(named.values(), key=lambda t: t.name), problems


def _identity(t: ClusterTarget) -> tuple:
    if t.access is not None:
        a = t.access
        return ("eks", account_of(a.get("role_arn")), a.get("region"), a.get("cluster") or a.get("name"))
    return ("kubeconfig", t.kubeconfig_secret, t.context, t.name)


def load_inventory(config: PlanConfig) -> Inventory:
    targets: list[ClusterTarget] = []
    problems: list[str] = []
    if config.inventory_path:
        found, bad = static_targets(config.aws, config.inventory_path)
        targets += found
        problems += bad
    if config.eks_regions:
        found, bad = eks_targets(config.aws, config.eks_regions, config.account_roles)
        targets += found
        problems += bad
    unique, clashes = unique_names(targets)
    return Inventory(tuple(unique), tuple(problems + clashes))
