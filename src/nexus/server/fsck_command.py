"""`nexus admin fsck`: check a data dir (and its database) directly, no server needed.

Attached to the `admin` group by entrypoint.py: it reads the database and blobs itself,
which the client-only CLI package may not.
"""

from __future__ import annotations

import click

from nexus.cli.context import CliState
from nexus.cli.output import echo_json, error_line
from nexus.config import ServerSettings
from nexus.errors import NexusError

# Exit statuses: like fsck(8), "found damage" and "could not look" are different answers.
EXIT_CLEAN = 0
EXIT_PROBLEMS = 1
EXIT_UNCHECKED = 2


@click.command("fsck")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="The data dir to check [default: the group's --data-dir, $NEXUS_DATA_DIR or "
    "./nexus-data].",
)
@click.option(
    "--db-url",
    default=None,
    help="Database URL when it is not SQLite in the data dir, e.g. postgresql://user@host/db "
    "[default: $NEXUS_DATABASE_URL].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def fsck(ctx: click.Context, data_dir: str | None, db_url: str | None, as_json: bool) -> None:
    """Check the store: blobs against their recorded SHA-256 and size, the tree, grants.

    Reads the database and the blob directory directly, so it works with the server down
    (after a crash, before restarting it) and, read-only, beside a running one. Orphan blobs
    and temp files are reported as notices (the garbage collector removes them). Exit status:
    0 no problem, 1 problems found, 2 the store could not be checked.
    """
    from nexus.files.fsck import run_fsck

    state = ctx.find_object(CliState)
    given_dir = data_dir or (state.options.data_dir if state else None)
    try:
        settings = ServerSettings.from_env(data_dir=given_dir, database_url=db_url)
        report = run_fsck(settings)
    except NexusError as error:
        click.echo(error_line(error), err=True)
        ctx.exit(EXIT_UNCHECKED)
    if as_json:
        echo_json(report.as_dict())
    else:
        for line in report.summary_lines():
            click.echo(line)
        for finding in report.findings:
            click.echo(finding.line())
    ctx.exit(EXIT_CLEAN if report.ok else EXIT_PROBLEMS)
