"""Activity commands: `nexus activity PATH` and `nexus admin audit`."""

from __future__ import annotations

from typing import Any

import click

from nexus.cli.context import client_for
from nexus.cli.output import echo_json, json_option

_limit_option = click.option(
    "--limit",
    type=click.IntRange(min=1, max=1000),
    default=100,
    show_default=True,
    help="Events to show (newest first).",
)
_before_option = click.option(
    "--before",
    type=click.IntRange(min=1),
    metavar="ID",
    help="Only events older than event ID (the 'more:' hint of the previous page).",
)


def _event_line(event: dict[str, Any]) -> str:
    when = str(event["time"])[:19].replace("T", " ")
    where = event["path"] or "-"  # admin actions have none: their subject is in the details
    if event["target"]:
        where = f"{where} -> {event['target']}"
    details = " ".join(f"{key}={value}" for key, value in sorted(event["details"].items()))
    line = f"{event['id']:>8}  {when}  {event['actor']:<12} {event['action']:<15} "
    return f"{line}{event['outcome']:<9} {where}" + (f"  {details}" if details else "")


def _show(page: dict[str, Any], as_json: bool) -> None:
    if as_json:
        echo_json(page)
        return
    for event in page["events"]:
        click.echo(_event_line(event))
    if page["next_before"] is not None:
        click.echo(f"more: --before {page['next_before']}")


@click.command()
@click.argument("path", default="/")
@_limit_option
@_before_option
@json_option
@click.pass_context
def activity(ctx: click.Context, path: str, limit: int, before: int | None, as_json: bool) -> None:
    """Show what happened at or below PATH (default /) that you may see, newest first."""
    _show(client_for(ctx).activity(path, limit=limit, before=before), as_json)


@click.command()
@click.option("--user", help="Only events by this user id.")
@click.option("--path", help="Only events at or below this path.")
@click.option(
    "--action",
    help="Only this action (write, delete, move, grant, ..., create_user, revoke_key, "
    "add_member, audit, ...).",
)
@click.option("--outcome", help="Only this outcome (ok, denied, not_found, locked).")
@click.option("--since", metavar="TIME", help="From this ISO 8601 date or time (UTC).")
@click.option("--until", metavar="TIME", help="Before this ISO 8601 date or time (UTC).")
@_limit_option
@_before_option
@json_option
@click.pass_context
def audit(
    ctx: click.Context,
    user: str | None,
    path: str | None,
    action: str | None,
    outcome: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    before: int | None,
    as_json: bool,
) -> None:
    """Show every recorded event (admins), newest first, with filters."""
    page = client_for(ctx).audit(
        user=user,
        path=path,
        action=action,
        outcome=outcome,
        since=since,
        until=until,
        limit=limit,
        before=before,
    )
    _show(page, as_json)


COMMANDS = (activity,)
