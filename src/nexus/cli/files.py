"""File commands: ls, cat, write, append, mkdir, rm, mv, cp, restrict, stat, whoami."""

from __future__ import annotations

import sys
from typing import Any

import click

from nexus.cli.context import client_for
from nexus.cli.output import echo_json, json_option


def _content(text: str | None) -> bytes:
    """TEXT as UTF-8, or all of stdin when TEXT is omitted or '-'."""
    if text is None or text == "-":
        return sys.stdin.buffer.read()
    return text.encode("utf-8")


def _display_name(entry: dict[str, Any], full_path: bool) -> str:
    name = str(entry["path"] if full_path else entry["name"])
    return name + "/" if entry["type"] == "directory" and name != "/" else name


def _long_line(entry: dict[str, Any], full_path: bool) -> str:
    kind = "d" if entry["type"] == "directory" else "-"
    restricted = "r" if entry.get("restricted") else "-"
    owner = entry["owner"] or "-"
    modified = str(entry["modified"])[:19].replace("T", " ")
    return (
        f"{kind}{restricted} {owner:<12} {entry['size']:>10} v{entry['version']:<4} "
        f"{modified}  {_display_name(entry, full_path)}"
    )


@click.command("ls")
@click.argument("path", default="/")
@click.option("-r", "--recursive", is_flag=True, help="Everything below PATH.")
@click.option("-l", "--long", "long_format", is_flag=True, help="Owner, size, version, time.")
@json_option
@click.pass_context
def ls(ctx: click.Context, path: str, recursive: bool, long_format: bool, as_json: bool) -> None:
    """List the entries of directory PATH that you may read (default /)."""
    entries = client_for(ctx).list_files(path, recursive=recursive)
    if as_json:
        echo_json(entries)
        return
    for entry in entries:
        if long_format:
            click.echo(_long_line(entry, recursive))
        else:
            click.echo(_display_name(entry, recursive))


@click.command()
@click.argument("path")
@click.option("--version", type=click.IntRange(min=1), help="An earlier version.")
@click.option("--offset", type=click.IntRange(min=0), help="Start at this byte (default 0).")
@click.option("--length", type=click.IntRange(min=0), help="At most this many bytes.")
@click.pass_context
def cat(
    ctx: click.Context, path: str, version: int | None, offset: int | None, length: int | None
) -> None:
    """Print the content of file PATH (raw bytes), or LENGTH bytes from OFFSET."""
    client = client_for(ctx)
    stdout = sys.stdout.buffer
    if offset is None and length is None:
        client.read_to(path, stdout, version=version)  # streamed: any size
    else:
        stdout.write(client.read(path, version=version, offset=offset, length=length))
    stdout.flush()


@click.command()
@click.argument("path")
@click.argument("text", required=False)
@click.option(
    "--if-version",
    type=click.IntRange(min=0),
    metavar="N",
    help="Only if the file is still at version N.",
)
@click.option("--if-none-match", is_flag=True, help="Only if nothing exists at PATH yet.")
@json_option
@click.pass_context
def write(
    ctx: click.Context,
    path: str,
    text: str | None,
    if_version: int | None,
    if_none_match: bool,
    as_json: bool,
) -> None:
    """Write TEXT (or stdin, when TEXT is omitted or '-') to file PATH as a new version."""
    # stdin is streamed: a file of any size, in little memory.
    data = sys.stdin.buffer if text is None or text == "-" else text.encode("utf-8")
    info = client_for(ctx).write(path, data, if_version=if_version, if_none_match=if_none_match)
    if as_json:
        echo_json(info)
    else:
        click.echo(f"Wrote {info['size']} bytes to {info['path']} (version {info['version']}).")


@click.command()
@click.argument("path")
@click.argument("text", required=False)
@json_option
@click.pass_context
def append(ctx: click.Context, path: str, text: str | None, as_json: bool) -> None:
    """Append TEXT (or stdin, when TEXT is omitted or '-') to file PATH."""
    data = _content(text)
    info = client_for(ctx).append(path, data)
    if as_json:
        echo_json(info)
    else:
        click.echo(
            f"Appended {len(data)} bytes to {info['path']} "
            f"(version {info['version']}, {info['size']} bytes)."
        )


@click.command()
@click.argument("path")
@json_option
@click.pass_context
def mkdir(ctx: click.Context, path: str, as_json: bool) -> None:
    """Create directory PATH (and missing parents; an existing directory is fine)."""
    info = client_for(ctx).mkdir(path, parents=True, exist_ok=True)
    if as_json:
        echo_json(info)
    else:
        click.echo(f"Directory {info['path']} is ready.")


@click.command()
@click.argument("path")
@click.option("-r", "--recursive", is_flag=True, help="Delete a directory and its contents.")
@json_option
@click.pass_context
def rm(ctx: click.Context, path: str, recursive: bool, as_json: bool) -> None:
    """Delete file or directory PATH."""
    client_for(ctx).delete(path, recursive=recursive)
    if as_json:
        echo_json({"path": path, "deleted": True})
    else:
        click.echo(f"Deleted {path}.")


@click.command()
@click.argument("src")
@click.argument("dst")
@json_option
@click.pass_context
def mv(ctx: click.Context, src: str, dst: str, as_json: bool) -> None:
    """Move or rename SRC to DST (grants stay with the entry)."""
    info = client_for(ctx).move(src, dst)
    if as_json:
        echo_json(info)
    else:
        click.echo(f"Moved {src} -> {info['path']}.")


@click.command()
@click.argument("src")
@click.argument("dst")
@json_option
@click.pass_context
def cp(ctx: click.Context, src: str, dst: str, as_json: bool) -> None:
    """Copy file or directory SRC (with what you may read below it) to the new path DST.

    The copy is yours, with none of the source's versions, grants or locks."""
    info = client_for(ctx).copy(src, dst)
    if as_json:
        echo_json(info)
    else:
        click.echo(f"Copied {src} -> {info['path']}.")


@click.command()
@click.argument("path")
@click.option("--off", is_flag=True, help="Let grants from above reach PATH again.")
@json_option
@click.pass_context
def restrict(ctx: click.Context, path: str, off: bool, as_json: bool) -> None:
    """Restrict directory PATH: grants on directories above it stop there."""
    info = client_for(ctx).set_restricted(path, restricted=not off)
    if as_json:
        echo_json(info)
    elif info["restricted"]:
        click.echo(f"{info['path']} is restricted: grants from above no longer reach it.")
    else:
        click.echo(f"{info['path']} is no longer restricted: grants from above reach it.")


@click.command()
@click.argument("path")
@json_option
@click.pass_context
def stat(ctx: click.Context, path: str, as_json: bool) -> None:
    """Show the metadata of PATH."""
    info = client_for(ctx).stat(path)
    if as_json:
        echo_json(info)
        return
    for key, value in info.items():
        click.echo(f"{key}: {'' if value is None else value}")


@click.command()
@json_option
@click.pass_context
def whoami(ctx: click.Context, as_json: bool) -> None:
    """Show who you are acting as."""
    me = client_for(ctx).whoami()
    if as_json:
        echo_json(me)
    else:
        click.echo(f"{me['user_id']}{' (admin)' if me['is_admin'] else ''}")


COMMANDS = (ls, cat, write, append, mkdir, rm, mv, cp, restrict, stat, whoami)
