"""`nexus serve`."""

from __future__ import annotations

from collections.abc import Callable

import click

from nexus.config import (
    DEFAULT_AUTH_FAILURE_LIMIT,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_RATE_LIMIT,
    ServerSettings,
    parse_rate_limit,
    parse_rate_limit_storage,
)
from nexus.errors import NexusValidationError


def _checked(check: Callable[[str, str], object]) -> Callable[..., str | None]:
    """A click callback refusing what ``check`` refuses (a usage error, exit 2)."""

    def callback(
        context: click.Context, parameter: click.Parameter, value: str | None
    ) -> str | None:
        if value is not None:
            try:
                check(f"--{parameter.name}".replace("_", "-"), value)
            except NexusValidationError as error:
                raise click.BadParameter(str(error)) from None
        return value

    return callback


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
@click.option(
    "--max-append-bytes",
    type=click.IntRange(min=1),
    default=None,
    help="Largest append accepted [default: $NEXUS_MAX_APPEND_BYTES or 16 MiB].",
)
@click.option(
    "--keep-versions",
    type=click.IntRange(min=0),
    default=None,
    metavar="N",
    help="Keep each file's last N versions, the current one included; 0: no count limit "
    "[default: $NEXUS_VERSION_KEEP_LAST or 100].",
)
@click.option(
    "--keep-version-days",
    type=click.IntRange(min=0),
    default=None,
    metavar="DAYS",
    help="Drop versions replaced more than DAYS days ago; 0: no age limit "
    "[default: $NEXUS_VERSION_KEEP_DAYS or 90].",
)
@click.option(
    "--blob-grace-seconds",
    type=click.IntRange(min=1),
    default=None,
    help="Never collect an unreferenced blob younger than this "
    "[default: $NEXUS_BLOB_GRACE_SECONDS or 3600].",
)
@click.option(
    "--max-lock-ttl",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="SECONDS",
    help="Longest lock a caller may take [default: $NEXUS_MAX_LOCK_TTL or 86400].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1, max=256),
    default=None,
    help="Worker processes serving requests; one per CPU core uses the machine "
    "[default: $NEXUS_WORKERS or 1].",
)
@click.option(
    "--rate-limit",
    default=None,
    callback=_checked(parse_rate_limit),
    metavar="LIMITS",
    help="Requests per API key, e.g. 600/minute or '20/second;600/minute'; 'off' for none "
    f"[default: $NEXUS_RATE_LIMIT or {DEFAULT_RATE_LIMIT}].",
)
@click.option(
    "--auth-failure-limit",
    default=None,
    callback=_checked(parse_rate_limit),
    metavar="LIMITS",
    help="Failed authentications per client address before they get 429; 'off' for none "
    f"[default: $NEXUS_AUTH_FAILURE_LIMIT or {DEFAULT_AUTH_FAILURE_LIMIT}].",
)
@click.option(
    "--rate-limit-storage",
    default=None,
    callback=_checked(parse_rate_limit_storage),
    metavar="URI",
    help="Where budgets are counted: memory:// (this process) or redis://host:port, shared "
    "by every server on it [default: $NEXUS_RATE_LIMIT_STORAGE or memory://].",
)
@click.option("--access-log/--no-access-log", default=False, help="Log every request.")
def serve(
    host: str,
    port: int,
    data_dir: str | None,
    db_url: str | None,
    max_file_bytes: int | None,
    max_json_bytes: int | None,
    max_append_bytes: int | None,
    keep_versions: int | None,
    keep_version_days: int | None,
    blob_grace_seconds: int | None,
    max_lock_ttl: float | None,
    workers: int | None,
    rate_limit: str | None,
    auth_failure_limit: str | None,
    rate_limit_storage: str | None,
    access_log: bool,
) -> None:
    """Run the Nexus server (HTTP API plus the local admin socket)."""
    from nexus.server.rate_limits import check_storage
    from nexus.server.run import serve as run_server

    try:
        settings = ServerSettings.from_env(
            host=host,
            port=port,
            data_dir=data_dir,
            database_url=db_url,
            max_file_bytes=max_file_bytes,
            max_json_bytes=max_json_bytes,
            max_append_bytes=max_append_bytes,
            version_keep_last=keep_versions,
            version_keep_days=keep_version_days,
            blob_grace_seconds=blob_grace_seconds,
            max_lock_ttl=max_lock_ttl,
            workers=workers,
            rate_limit=rate_limit,
            auth_failure_limit=auth_failure_limit,
            rate_limit_storage=rate_limit_storage,
        )
    except NexusValidationError as error:
        # A bad NEXUS_* value: one clear line, not a traceback.
        raise click.ClickException(str(error)) from None
    try:
        check_storage(settings)
        run_server(settings, access_log=access_log)
    except (OSError, RuntimeError) as error:
        # One clear line (e.g. an unwritable data dir or a server already running here).
        raise click.ClickException(str(error)) from None
