"""Function configuration: frozen dataclasses read once from an injected environment mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sliceaudit.live.owners import Owners


class ConfigError(ValueError):
    """A missing or unusable setting, named in one line."""


def _required(env: Mapping[str, str], key: str) -> str:
    value = env.get(key, "").strip()
    if not value:
        raise ConfigError(f"{key} is not set")
    return value


def _optional(env: Mapping[str, str], key: str) -> str | None:
    return env.get(key, "").strip() or None


def _listed(env: Mapping[str, str], key: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(key, "").split(",") if part.strip())


def _number(env: Mapping[str, str], key: str, default: float, cast=int):
    raw = env.get(key, "").strip()
    if not raw:
        return default
    try:
        value = cast(raw)
    except ValueError:
        raise ConfigError(f"{key} must be a number, not {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{key} must not be negative, not {raw!r}")
    return value


@dataclass(frozen=True)
class AwsEnv:
    """Where the AWS clients point: the function's region, and an endpoint override for local runs."""

    region: str
    endpoint_url: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AwsEnv:
        region = _optional(env, "AWS_REGION") or _optional(env, "AWS_DEFAULT_REGION")
        if region is None:
            raise ConfigError("AWS_REGION is not set")
        return cls(region=region, endpoint_url=_optional(env, "AWS_ENDPOINT_URL"))


@dataclass(frozen=True)
class InventoryConfig:
    """Where the fleet inventory is read: by the planner to list it, by the scanner to look a name up."""

    aws: AwsEnv
    parameter_path: str | None      # SSM Parameter Store path holding one parameter per cluster
    eks_regions: tuple[str, ...]    # regions whose EKS clusters join the fleet
    account_roles: tuple[str, ...]  # roles to assume for EKS discovery in other accounts
    secret_prefix: str              # kubeconfig secrets must be named below this

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> InventoryConfig:
        config = cls(
            aws=AwsEnv.from_env(env),
            parameter_path=(_optional(env, "INVENTORY_PARAMETER_PATH") or "").rstrip("/") or None,
            eks_regions=_listed(env, "EKS_REGIONS"),
            account_roles=_listed(env, "INVENTORY_ROLE_ARNS"),
            secret_prefix=_optional(env, "KUBECONFIG_SECRET_PREFIX") or "sliceaudit/",
        )
        if config.parameter_path is None and not config.eks_regions:
            raise ConfigError("set INVENTORY_PARAMETER_PATH or EKS_REGIONS: the fleet inventory is empty")
        return config


@dataclass(frozen=True)
class PlanConfig:
    aws: AwsEnv
    queue_url: str
    inventory: InventoryConfig

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PlanConfig:
        aws = AwsEnv.from_env(env)
        queue_url = _required(env, "SCAN_QUEUE_URL")
        return cls(aws=aws, queue_url=queue_url, inventory=InventoryConfig.from_env(env))


@dataclass(frozen=True)
class ScanConfig:
    aws: AwsEnv
    table: str
    bucket: str
    topic_arn: str | None            # SNS topic told about new outages; None = no alerts
    run_retention_days: int          # run bookkeeping items expire after this
    resolved_retention_days: int     # resolved history items expire after this
    max_receive_count: int           # the queue's redrive maxReceiveCount: the last attempt records failure
    time_reserve_seconds: float      # kept back from the listing for writes after it
    page_size: int
    owners: Owners                   # which owner objects to list
    inventory: InventoryConfig       # where a request's cluster name is looked up

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ScanConfig:
        raw = env.get("LIST_OWNERS", "").strip() or Owners.NEEDED.value
        try:
            owners = Owners(raw)
        except ValueError:
            raise ConfigError(f"LIST_OWNERS must be needed, all or none, not {raw!r}") from None
        page_size = _number(env, "LIST_PAGE_SIZE", 500)
        if page_size < 1:
            raise ConfigError("LIST_PAGE_SIZE must be at least 1")
        return cls(
            aws=AwsEnv.from_env(env),
            table=_required(env, "TABLE_NAME"),
            bucket=_required(env, "REPORT_BUCKET"),
            topic_arn=_optional(env, "OUTAGE_TOPIC_ARN"),
            run_retention_days=_number(env, "RUN_RETENTION_DAYS", 30),
            resolved_retention_days=_number(env, "RESOLVED_RETENTION_DAYS", 90),
            max_receive_count=max(1, _number(env, "MAX_RECEIVE_COUNT", 3)),
            time_reserve_seconds=_number(env, "SCAN_TIME_RESERVE_SECONDS", 10.0, float),
            page_size=page_size,
            owners=owners,
            inventory=InventoryConfig.from_env(env),
        )
