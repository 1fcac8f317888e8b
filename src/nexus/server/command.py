"""`nexus serve`."""

from __future__ import annotations

import click

from nexus.config import DEFAULT_HOST, DEFAULT_PORT, ServerSettings


@click.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Where files and the database live [default: $NEXUS_DATA_DIR or ./nexus-data].",
)
@click.option(
    "--db-url",
    default=None,
    help="Database URL, e.g. postgresql://user@host/db [default: $NEXUS_DATABASE_URL or "
    "SQLite inside the data dir].",
)
@click.option("--access-log/--no-access-log", default=False, help="Log every request.")
def serve(host: str, port: int, data_dir: str | None, db_url: str | None, access_log: bool) -> None:
    """Run the Nexus server (HTTP API plus the local admin socket)."""
    from nexus.server.run import serve as run_server

    settings = ServerSettings.from_env(host=host, port=port, data_dir=data_dir, database_url=db_url)
    try:
        run_server(settings, access_log=access_log)
    except (OSError, RuntimeError) as error:
        # One clear line (e.g. an unwritable data dir or a server already running here).
        raise click.ClickException(str(error)) from None
