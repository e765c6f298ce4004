"""`sliceaudit exporter`: flags (or SLICEAUDIT_EXPORTER_* variables) in, a running exporter until SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import threading

import click

from exporter.app import Exporter
from exporter.config import (
    DEFAULT_LIST_TIMEOUT,
    DEFAULT_LISTEN,
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_SERIES,
    DEFAULT_RELOAD_INTERVAL,
    ExporterConfig,
    parse_consumers,
    parse_listen,
)
from exporter.fleet import ClusterSource
from sliceaudit.cli.errors import UsageFailure
from sliceaudit.kube.errors import ClusterError

log = logging.getLogger("exporter")

ENV_PREFIX = "SLICEAUDIT_EXPORTER"


def _env(name: str) -> str:
    return f"{ENV_PREFIX}_{name}"


@click.command("exporter", context_settings={"show_default": True})
@click.option("--kubeconfig", envvar=_env("KUBECONFIG"), show_envvar=True, metavar="PATH",
              help="Kubeconfig file(s), `:`-separated; default $KUBECONFIG or ~/.kube/config.")
@click.option("--context", "contexts", multiple=True, envvar=_env("CONTEXT"), show_envvar=True,
              metavar="NAME", help="Watch this kubeconfig context (repeat for several; space-separated in "
              "the variable). Default: the current context.")
@click.option("--all-contexts", is_flag=True, envvar=_env("ALL_CONTEXTS"), show_envvar=True,
              help="Watch every context of the kubeconfig.")
@click.option("--in-cluster", is_flag=True, envvar=_env("IN_CLUSTER"), show_envvar=True,
              help="Watch the cluster this pod runs in, through its service account.")
@click.option("--cluster-name", default="in-cluster", envvar=_env("CLUSTER_NAME"), show_envvar=True,
              help="The `cluster` label for --in-cluster.")
@click.option("--eks", multiple=True, envvar=_env("EKS"), show_envvar=True, metavar="REGION/CLUSTER",
              help="Watch an EKS cluster with the AWS credentials of the environment (repeatable).")
@click.option("--eks-role-arn", envvar=_env("EKS_ROLE_ARN"), show_envvar=True, metavar="ARN",
              help="Role to assume for --eks clusters.")
@click.option("--listen", default=DEFAULT_LISTEN, envvar=_env("LISTEN"), show_envvar=True,
              metavar="HOST:PORT", help="Address for /metrics, /healthz and /readyz.")
@click.option("--shard", type=int, default=0, envvar=_env("SHARD"), show_envvar=True,
              help="This replica's shard, 0-based: it watches the clusters whose name hashes to it.")
@click.option("--total-shards", type=int, default=1, envvar=_env("TOTAL_SHARDS"), show_envvar=True,
              help="Replicas the fleet is split across.")
@click.option("--max-series-per-cluster", type=int, default=DEFAULT_MAX_SERIES,
              envvar=_env("MAX_SERIES_PER_CLUSTER"), show_envvar=True,
              help="Per-Service series per cluster (4 per Service; 0: no cap). Beyond it healthy "
              "Services are left out first and sliceaudit_series_cut_total counts them.")
@click.option("--max-connections", type=int, default=DEFAULT_MAX_CONNECTIONS, envvar=_env("MAX_CONNECTIONS"),
              show_envvar=True, help="Open HTTP connections (one thread each). At the cap the one idle longest "
              "is closed for a new one.")
@click.option("--reload-interval", type=float, default=DEFAULT_RELOAD_INTERVAL, envvar=_env("RELOAD_INTERVAL"),
              show_envvar=True, metavar="SECONDS", help="How often the kubeconfig is looked at; clusters added, "
              "removed or changed there are followed without a restart (0: read once).")
@click.option("--list-timeout", type=float, default=DEFAULT_LIST_TIMEOUT, envvar=_env("LIST_TIMEOUT"),
              show_envvar=True, metavar="SECONDS", help="Deadline for one full list of a resource, every page "
              "included; past it the list is given up, logged, and tried again after a backoff.")
@click.option("--consumer", "consumers", multiple=True, envvar=_env("CONSUMER"), show_envvar=True,
              metavar="NAME[@VERSION]", help="A proxy in use (skipper@v0.21.146, ingress-nginx@1.9.4, traefik): "
              "adds sliceaudit_consumer_broken_backends per Service for it. Repeatable.")
@click.option("--log-level", default="info", envvar=_env("LOG_LEVEL"), show_envvar=True,
              type=click.Choice(["debug", "info", "warning", "error"]), help="Log verbosity (stderr).")
def command(**options) -> None:
    """Serve per-Service EndpointSlice gauges for Prometheus, from live watches of one or many clusters."""
    config = _config(options)
    logging.basicConfig(level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    source = ClusterSource(config)
    try:
        clusters = source.select()
    except ClusterError as err:
        raise UsageFailure(str(err)) from None
    if not clusters:
        log.warning("shard %d of %d owns none of the clusters; serving only the exporter's own metrics",
                    config.shard, config.total_shards)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):  # before starting: a stop during start-up is still clean
        signal.signal(sig, lambda *_: stop.set())
    exporter = Exporter(config, clusters, source=source)
    try:
        exporter.start()
    except OSError as err:
        raise UsageFailure(f"cannot listen on {config.listen}: {err.strerror or err}") from None
    stop.wait()
    log.info("stopping")
    if not exporter.stop():
        # A thread stalled inside a cluster's read would still be inside OpenSSL while the interpreter
        # finalises (which aborts it); Kubernetes kills at 30 s anyway, so leave now.
        log.warning("a request to a cluster is still stalled; leaving without waiting for it")
        logging.shutdown()
        os._exit(0)


def _config(options: dict) -> ExporterConfig:
    try:
        listen = parse_listen(options.pop("listen"))
        consumers = parse_consumers(tuple(options["consumers"]))
        return ExporterConfig(
            kubeconfig=options["kubeconfig"], contexts=tuple(options["contexts"]),
            all_contexts=options["all_contexts"], in_cluster=options["in_cluster"],
            cluster_name=options["cluster_name"], eks=tuple(options["eks"]), eks_role_arn=options["eks_role_arn"],
            listen=listen, shard=options["shard"], total_shards=options["total_shards"],
            max_series_per_cluster=options["max_series_per_cluster"], max_connections=options["max_connections"],
            reload_interval=options["reload_interval"], list_timeout=options["list_timeout"],
            log_level=options["log_level"], consumers=consumers)
    except ValueError as err:
        raise UsageFailure(str(err)) from None
