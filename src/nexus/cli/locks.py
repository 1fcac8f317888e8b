"""Lock commands: lock, unlock, extend-lock, lock-info."""

from __future__ import annotations

import click

from nexus.cli.context import client_for
from nexus.cli.output import echo_json, json_option

_TTL_HELP = "Seconds until the lock expires (at most the server's maximum, default 24 h)."


@click.command()
@click.argument("path")
@click.option("--ttl", type=float, required=True, metavar="SECONDS", help=_TTL_HELP)
@json_option
@click.pass_context
def lock(ctx: click.Context, path: str, ttl: float, as_json: bool) -> None:
    """Lock file PATH and print the lock token (keep it: it unlocks and extends the lock).

    While the lock lives, nobody else may write, append to, delete or move PATH.
    `TOKEN=$(nexus lock PATH --ttl 600)` keeps it in a shell variable."""
    record = client_for(ctx).lock_record(path, ttl)
    if as_json:
        echo_json(record)
    else:
        click.echo(record["token"])


@click.command()
@click.argument("path")
@click.argument("token", required=False)
@click.option(
    "--break", "break_lock", is_flag=True, help="Admins: break someone else's lock (no TOKEN)."
)
@json_option
@click.pass_context
def unlock(
    ctx: click.Context, path: str, token: str | None, break_lock: bool, as_json: bool
) -> None:
    """Release the lock on PATH with the TOKEN that `nexus lock` printed."""
    if (token is None) == (not break_lock):
        raise click.UsageError("give the lock TOKEN, or --break (admins) instead of a token")
    client_for(ctx).unlock(path, token)
    if as_json:
        echo_json({"path": path, "unlocked": True})
    else:
        click.echo(f"Unlocked {path}.")


@click.command("extend-lock")
@click.argument("path")
@click.argument("token")
@click.option("--ttl", type=float, required=True, metavar="SECONDS", help=_TTL_HELP)
@json_option
@click.pass_context
def extend_lock(ctx: click.Context, path: str, token: str, ttl: float, as_json: bool) -> None:
    """Make your lock on PATH expire SECONDS from now."""
    info = client_for(ctx).extend_lock(path, token, ttl)
    if as_json:
        echo_json(info)
    else:
        click.echo(f"{info['path']} stays locked by {info['holder']} until {info['expires']}.")


@click.command("lock-info")
@click.argument("path")
@json_option
@click.pass_context
def lock_info(ctx: click.Context, path: str, as_json: bool) -> None:
    """Show who holds the lock on PATH and until when (UTC)."""
    info = client_for(ctx).lock_info(path)
    if as_json:
        echo_json(info)
    elif info["locked"]:
        click.echo(f"{info['path']} is locked by {info['holder']} until {info['expires']}.")
    else:
        click.echo(f"{info['path']} is not locked.")


COMMANDS = (lock, unlock, extend_lock, lock_info)
