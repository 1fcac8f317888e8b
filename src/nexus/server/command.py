"""`nexus serve`."""

from __future__ import annotations

import click

from nexus.config import DEFAULT_HOST, DEFAULT_PORT, ServerSettings
from nexus.errors import NexusValidationError


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
@click.option(
    "--max-file-bytes",
    type=click.IntRange(min=1),
    default=None,
    help="Largest file body accepted [default: $NEXUS_MAX_FILE_BYTES or 1 GiB].",
)
@click.option(
    "--max-json-bytes",
    type=click.IntRange(min=1),
    default=None,
    help="Largest JSON request body accepted [default: $NEXUS_MAX_JSON_BYTES or 8 MiB].",
)
@click.option("--access-log/--no-access-log", default=False, help="Log every request.")
def serve(
    host: str,
    port: int,
    data_dir: str | None,
    db_url: str | None,
    max_file_bytes: int | None,
    max_json_bytes: int | None,
    access_log: bool,
) -> None:
    """Run the Nexus server (HTTP API plus the local admin socket)."""
    from nexus.server.run import serve as run_server

    try:
        settings = ServerSettings.from_env(
            host=host,
            port=port,
            data_dir=data_dir,
            database_url=db_url,
            max_file_bytes=max_file_bytes,
            max_json_bytes=max_json_bytes,
        )
    except NexusValidationError as error:
        # A bad NEXUS_MAX_*_BYTES value: one clear line, not a traceback.
        raise click.ClickException(str(error)) from None
    try:
        run_server(settings, access_log=access_log)
    except (OSError, RuntimeError) as error:
        # One clear line (e.g. an unwritable data dir or a server already running here).
        raise click.ClickException(str(error)) from None
