"""`sliceaudit simulate`: serves a simulated fleet until SIGINT/SIGTERM."""

from __future__ import annotations

import os
import signal
import stat
import threading

import click

from sliceaudit.audit.terms import STATUSES
from sliceaudit.cli.errors import UsageFailure

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a fifo"), (stat.S_ISSOCK, "a socket"))


def regular_file(option: str, path: str) -> str:
    """Where to write `path`: the file a symlink points to; refused when something other than a regular
    file is there (`--truth /dev/null` would replace the device). The write itself is atomic (a rename)."""
    real = os.path.realpath(path)
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        return real
    except OSError as err:
        raise UsageFailure(f"{option} {path}: {err.strerror}") from None
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise UsageFailure(f"{option} {path} is {kind}: only a regular file is written")
    return real


@click.command("simulate")
@click.option("--clusters", type=int, default=3, show_default=True, help="Clusters (one API server each).")
@click.option("--services", type=int, default=50, show_default=True, help="Services per cluster.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same fleet.")
@click.option("--broken-share", type=float, default=0.2, show_default=True,
              help="Share of Services built misconfigured (0..1).")
@click.option("--churn/--no-churn", default=False, show_default=True,
              help="Rollouts, scaling, breaking and fixing over time; the truth file follows.")
@click.option("--churn-interval", type=float, default=2.0, show_default=True, help="Seconds between changes.")
@click.option("--kubeconfig", "kubeconfig", type=click.Path(dir_okay=False), required=True,
              help="Where to write the kubeconfig (one context per cluster).")
@click.option("--truth", "truth", type=click.Path(dir_okay=False), required=True,
              help="Where to write the ground truth (sliceaudit.report/v1 JSON).")
def command(clusters, services, seed, broken_share, churn, churn_interval, kubeconfig, truth) -> None:
    """Serve a simulated fleet of clusters over HTTPS on 127.0.0.1 until interrupted."""
    if not 1 <= clusters <= 50:
        raise UsageFailure("--clusters must be between 1 and 50")
    if not 0 <= services <= 5000:
        raise UsageFailure("--services must be between 0 and 5000")
    if not 0.0 <= broken_share <= 1.0:
        raise UsageFailure("--broken-share must be between 0 and 1")
    if churn_interval <= 0:
        raise UsageFailure("--churn-interval must be positive")
    kubeconfig, truth = regular_file("--kubeconfig", kubeconfig), regular_file("--truth", truth)

    from sliceaudit.sim.fleetrun import SimulatedFleet

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with SimulatedFleet(clusters, services, seed, broken_share, churn, churn_interval=churn_interval) as fleet:
            try:
                fleet.write_kubeconfig(kubeconfig)
                fleet.write_truth(truth)
            except OSError as err:
                raise UsageFailure(f"cannot write {err.filename}: {err.strerror}") from None
            for name, url, counts in fleet.summary():
                click.echo(f"{name}\t{url}\t" + ", ".join(f"{counts[s]} {s}" for s in STATUSES))
            click.echo(f"kubeconfig: {kubeconfig}  truth: {truth}  churn: {'on' if churn else 'off'}  "
                       "(Ctrl-C or SIGTERM stops)")
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("simulated fleet stopped")
