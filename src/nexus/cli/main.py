"""The `nexus` command group and its entry point."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from nexus.cli.activity import COMMANDS as ACTIVITY_COMMANDS
from nexus.cli.activity import audit
from nexus.cli.admin import admin
from nexus.cli.context import connection_options
from nexus.cli.files import COMMANDS as FILE_COMMANDS
from nexus.cli.locks import COMMANDS as LOCK_COMMANDS
from nexus.cli.output import report_error
from nexus.cli.rebac import rebac
from nexus.cli.versions import COMMANDS as VERSION_COMMANDS
from nexus.cli.versions import gc
from nexus.errors import NexusError
from nexus.version import __version__


class NexusGroup(click.Group):
    """Turns every NexusError from a command into one `Error: ...` line and exit status 1
    (the yes/no commands exit 2 instead: see rebac.VerdictCommand)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NexusError as error:
            report_error(error)
            raise click.exceptions.Exit(1) from None


@click.group(cls=NexusGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nexus")
@connection_options
def cli() -> None:
    """Nexus: a multi-user file server with relationship-based permissions.

    With NEXUS_API_KEY (or --api-key) set, commands act as that key's user on NEXUS_URL
    (default http://127.0.0.1:2026). Without a key they use the local admin socket of a
    server running on this host as the same OS user.
    """


cli.add_command(admin)
cli.add_command(rebac)
for _command in FILE_COMMANDS:
    cli.add_command(_command)
for _command in LOCK_COMMANDS:
    cli.add_command(_command)
for _command in VERSION_COMMANDS:
    cli.add_command(_command)
admin.add_command(gc)
for _command in ACTIVITY_COMMANDS:
    cli.add_command(_command)
admin.add_command(audit)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=list(argv) if argv is not None else None, prog_name="nexus")
