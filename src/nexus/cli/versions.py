"""Version commands: `nexus versions`, `nexus restore`, and `nexus admin gc`."""

from __future__ import annotations

from typing import Any

import click

from nexus.cli.context import client_for
from nexus.cli.output import echo_json, json_option


def _version_line(version: dict[str, Any]) -> str:
    created = str(version["created"])[:19].replace("T", " ")
    current = "  (current)" if version["current"] else ""
    return (
        f"v{version['version']:<5} {created}  {version['size']:>10}  "
        f"{version['created_by'] or '-':<12} {version['etag'][:12]}{current}"
    )


@click.command()
@click.argument("path")
@json_option
@click.pass_context
def versions(ctx: click.Context, path: str, as_json: bool) -> None:
    """List the kept versions of file PATH, newest first."""
    found = client_for(ctx).list_versions(path)
    if as_json:
        echo_json(found)
        return
    for version in found:
        click.echo(_version_line(version))


@click.command()
@click.argument("path")
@click.argument("version", type=click.IntRange(min=1))
@click.option(
    "--if-version",
    type=click.IntRange(min=0),
    metavar="N",
    help="Only if the file is still at version N.",
)
@json_option
@click.pass_context
def restore(
    ctx: click.Context, path: str, version: int, if_version: int | None, as_json: bool
) -> None:
    """Bring back VERSION of file PATH as its newest version (the history stays)."""
    info = client_for(ctx).restore_version(path, version, if_version=if_version)
    if as_json:
        echo_json(info)
    else:
        click.echo(f"Restored {info['path']} to version {version} (now version {info['version']}).")


@click.command("gc")
@json_option
@click.pass_context
def gc(ctx: click.Context, as_json: bool) -> None:
    """Apply version retention and remove stored contents nothing refers to."""
    swept = client_for(ctx).collect_garbage()
    if as_json:
        echo_json(swept)
        return
    click.echo(
        f"Removed {swept['versions_removed']} old version(s), {swept['blobs_removed']} "
        f"unreferenced blob(s) and {swept['temp_files_removed']} leftover temp file(s); "
        f"freed {swept['bytes_freed']} bytes."
    )


COMMANDS = (versions, restore)
