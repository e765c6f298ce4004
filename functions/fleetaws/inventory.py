"""The fleet inventory: static entries from SSM Parameter Store plus EKS clusters discovered per region.

The planner lists it and queues the names; the scanner reads it again to look a name up, so how a
cluster is reached only ever comes from SSM, Secrets Manager and EKS, never from a message.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from fleetaws.clients import assumed_session, client, session_client
from fleetaws.config import AwsEnv, InventoryConfig
from sliceaudit.kube.clusters import ClusterAccess, eks_cluster


class BadEntry(ValueError):
    """An inventory entry that cannot be used; the one line names it."""


@dataclass(frozen=True)
class ClusterTarget:
    """One cluster of the inventory: an EKS access, or a kubeconfig secret and context."""

    name: str                              # unique in the fleet; names the cluster in reports
    access: ClusterAccess | None = None    # EKS: name, region, role, maybe endpoint and CA
    kubeconfig_secret: str | None = None   # Secrets Manager id of a kubeconfig
    context: str | None = None             # context in that kubeconfig (default: current)
    discovered: bool = False               # found by EKS ListClusters (its name may be qualified)


@dataclass(frozen=True)
class Inventory:
    targets: tuple[ClusterTarget, ...]
    problems: tuple[str, ...]   # one line per entry or region that could not be read; the rest still runs

    def get(self, name: str) -> ClusterTarget | None:
        return next((t for t in self.targets if t.name == name), None)


def entry_target(config: InventoryConfig, parameter: str, value: str) -> ClusterTarget:
    """One SSM parameter's JSON value as a cluster, named by the parameter's path below the inventory path.

    {"source": "eks", "cluster": "prod", "region": "eu-west-1", "role_arn": "arn:...",
     "endpoint": "https://...", "ca_data": "LS0t..."}   (role_arn, endpoint, ca_data optional)
    {"source": "kubeconfig", "secret": "sliceaudit/onprem-1", "context": "onprem-1"}
    """
    name = parameter[len(config.parameter_path or "") + 1:]
    try:
        data = json.loads(value)
    except ValueError:
        raise BadEntry(f"{parameter}: value is not JSON") from None
    if not isinstance(data, dict):
        raise BadEntry(f"{parameter}: value is not a JSON object")
    source = data.get("source", "eks" if "region" in data else "kubeconfig")
    if source == "eks":
        cluster, region = data.get("cluster") or name, data.get("region")
        if not isinstance(region, str) or not region or not isinstance(cluster, str):
            raise BadEntry(f"{parameter}: an eks entry needs a region (and cluster, a string)")
        optional = {k: data.get(k) or None for k in ("role_arn", "endpoint", "ca_data")}
        if not all(isinstance(v, (str, type(None))) for v in optional.values()):
            raise BadEntry(f"{parameter}: role_arn, endpoint and ca_data must be strings")
        # endpoint + ca_data (base64 PEM) spare a DescribeCluster, e.g. in an account that denies it
        try:
            access = eks_cluster(cluster, region, role_arn=optional["role_arn"], endpoint=optional["endpoint"],
                                 ca_data=optional["ca_data"], display_name=name if name != cluster else None)
        except ValueError as err:
            raise BadEntry(f"{parameter}: {err}") from None
        return ClusterTarget(name, access=access)
    if source == "kubeconfig":
        secret, context = data.get("secret"), data.get("context")
        if not isinstance(secret, str) or not secret:
            raise BadEntry(f"{parameter}: a kubeconfig entry needs secret (a Secrets Manager name or ARN)")
        if not isinstance(context, (str, type(None))):
            raise BadEntry(f"{parameter}: context must be a string")
        if not _secret_name(secret).startswith(config.secret_prefix):
            raise BadEntry(f"{parameter}: secret {secret} is not below the kubeconfig secret prefix "
                           f"{config.secret_prefix}")
        return ClusterTarget(name, kubeconfig_secret=secret, context=context or None)
    raise BadEntry(f"{parameter}: source must be eks or kubeconfig, not {str(source)[:40]!r}")


def _secret_name(secret: str) -> str:
    """A secret's name, from a name or an ARN (arn:aws:secretsmanager:region:account:secret:NAME-suffix)."""
    return secret.split(":secret:", 1)[1] if secret.startswith("arn:") and ":secret:" in secret else secret


def static_targets(config: InventoryConfig) -> tuple[list[ClusterTarget], list[str]]:
    targets, problems = [], []
    path = config.parameter_path
    pages = client(config.aws, "ssm").get_paginator("get_parameters_by_path").paginate(
        Path=path, Recursive=True, WithDecryption=True)
    try:
        for page in pages:
            for param in page["Parameters"]:
                try:
                    targets.append(entry_target(config, param["Name"], param["Value"]))
                except BadEntry as err:
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
                        targets.append(ClusterTarget(name, access=eks_cluster(name, region, role_arn=role),
                                                     discovered=True))
            except (BotoCoreError, ClientError) as err:
                problems.append(f"EKS clusters of {account_of(role)} in {region}: {err}")
    return targets, problems


def unique_names(targets: Iterable[ClusterTarget]) -> tuple[list[ClusterTarget], list[str]]:
    """Drops repeats of one cluster (the SSM entry wins), qualifies names that discovered EKS clusters share
    with another cluster (region, account), and drops any other name used twice: a run counts by name."""
    seen: dict[tuple, ClusterTarget] = {}
    for t in targets:
        seen.setdefault(_identity(t), t)
    counts: dict[str, int] = {}
    for t in seen.values():
        counts[t.name] = counts.get(t.name, 0) + 1
    named: dict[str, ClusterTarget] = {}
    problems = []
    for t in seen.values():
        if counts[t.name] > 1 and t.discovered and t.access is not None:
            a = t.access
            account = f"{account_of(a.role_arn)}/" if a.role_arn else ""
            qualified = f"{account}{a.region}/{t.name}"
            t = ClusterTarget(qualified, access=eks_cluster(a.eks_name, a.region, role_arn=a.role_arn,
                                                            display_name=qualified), discovered=True)
        if t.name in named:
            problems.append(f"cluster name {t.name} is used twice: only the first entry is scanned")
            continue
        named[t.name] = t
    return sorted(named.values(), key=lambda t: t.name), problems


def _identity(t: ClusterTarget) -> tuple:
    if t.access is not None:
        a = t.access
        return ("eks", account_of(a.role_arn), a.region, a.eks_name)
    return ("kubeconfig", t.kubeconfig_secret, t.context, t.name)


def load_inventory(config: InventoryConfig) -> Inventory:
    targets: list[ClusterTarget] = []
    problems: list[str] = []
    if config.parameter_path:
        found, bad = static_targets(config)
        targets += found
        problems += bad
    if config.eks_regions:
        found, bad = eks_targets(config.aws, config.eks_regions, config.account_roles)
        targets += found
        problems += bad
    unique, clashes = unique_names(targets)
    return Inventory(tuple(unique), tuple(problems + clashes))


RELOAD_SECONDS = 60.0   # a name missing from the cached inventory reloads it at most this often
_cached: dict[tuple[InventoryConfig, str], tuple[float, Inventory]] = {}


def find_target(config: InventoryConfig, run_id: str, name: str, *,
                clock=time.monotonic) -> ClusterTarget | None:
    """The inventory's cluster called `name`: read once per run in a warm container, again (rate-limited)
    when the name is missing, so a cluster added since is found and unknown names cost little."""
    key = (config, run_id)
    loaded = _cached.get(key)
    target = loaded[1].get(name) if loaded else None
    if target is None and (loaded is None or clock() - loaded[0] >= RELOAD_SECONDS):
        _cached.clear()   # one run at a time per container; older runs' inventories are dropped
        loaded = _cached[key] = (clock(), load_inventory(config))
        target = loaded[1].get(name)
    return target
