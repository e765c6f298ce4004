"""The `sliceaudit` command: a click group whose subcommands live beside it or register by entry point."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from importlib.metadata import entry_points

import click

from sliceaudit.cli.errors import UsageFailure

# Subcommands shipped in the layer; each module exposes `command`.
BUILTIN = ("sliceaudit.cli.scan", "sliceaudit.cli.predict", "sliceaudit.cli.simulate")


class Commands(click.Group):
    """Loads subcommands lazily, so `sliceaudit scan` never imports the exporter or the simulator."""

    def _sources(self) -> dict[str, str]:
        found = {mod.rsplit(".", 1)[1]: mod + ":command" for mod in BUILTIN}
        for ep in entry_points(group="sliceaudit.commands"):
            found[ep.name] = ep.value
        return found

    def list_commands(self, ctx):
        return sorted(self._sources())

    def get_command(self, ctx, name):
        target = self._sources().get(name)
        if target is None:
            return None
        module, _, attr = target.partition(":")
        try:
            mod = __import__(module, fromlist=[attr])
        except ModuleNotFoundError:
            return None
        return getattr(mod, attr)


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Audit Kubernetes EndpointSlices for ports that send traffic to port 0."""


def main(argv: list[str] | None = None) -> int:
    try:
        return cli.main(args=argv, prog_name="sliceaudit", standalone_mode=False) or 0
    except click.exceptions.Abort:
        click.echo("sliceaudit: aborted", err=True)
        return 130
    except click.ClickException as err:
        click.echo(f"sliceaudit: {err.format_message()}", err=True)
        return 2
    except UsageFailure as err:
        click.echo(f"sliceaudit: {err}", err=True)
        return 2
    except Exception as err:   # a bug still ends in one line, never a traceback on a user's terminal
        click.echo(f"sliceaudit: internal error: {type(err).__name__}: {' '.join(str(err).split())[:300]}",
                   err=True)
        return 2


def run() -> int:
    """The console entry point: `main`, then out past any thread still inside a read.

    A scan thread left behind at its deadline, or a list's next page still awaiting its headers after
    the list stopped, may sit inside OpenSSL; letting the interpreter finalise under it aborts the
    process (SIGABRT), so the report is flushed and the process ends.
    """
    code = main()
    main_thread = threading.main_thread()
    if any(t is not main_thread and t.is_alive() for t in threading.enumerate()):
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(run())
