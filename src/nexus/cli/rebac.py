"""`nexus rebac ...`: grant, revoke, check and list relationships."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from nexus.cli.context import client_for, connection_options
from nexus.cli.output import echo_json, json_option, relationship, report_error, symbol
from nexus.errors import NexusFileNotFoundError

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
@connection_options
def rebac() -> None:
    """Relationship-based permissions: who has which relation on what.

    Relations on files: owner > can_write > can_read; can_execute > can_read.
    A grant on a directory reaches everything below it.
    """


def relationship_arguments(command: F) -> F:
    for decorator in reversed(
        [
            click.argument("subject_type"),
            click.argument("subject_id"),
            click.argument("object_type"),
            click.argument("object_id"),
            click.option(
                "--relation", required=True, help="owner, can_write, can_read or can_execute."
            ),
        ]
    ):
        command = decorator(command)
    return command


@rebac.command()
@relationship_arguments
@json_option
@click.pass_context
def grant(
    ctx: click.Context,
    subject_type: str,
    subject_id: str,
    object_type: str,
    object_id: str,
    relation: str,
    as_json: bool,
) -> None:
    """Grant SUBJECT the relation on OBJECT.

    Example: nexus rebac grant user bob file /workspace/x --relation can_read
    """
    result = client_for(ctx).grant_permission(
        subject_type, subject_id, object_type, object_id, relation
    )
    if as_json:
        echo_json(result)
        return
    if result["created"]:
        click.echo(
            f"Granted: {subject_type} {subject_id} has {relation} on {object_type} {object_id}"
        )
    else:
        click.echo(
            f"Already granted: {subject_type} {subject_id} already had {relation} on "
            f"{object_type} {object_id}; nothing changed"
        )


@rebac.command()
@relationship_arguments
@json_option
@click.pass_context
def revoke(
    ctx: click.Context,
    subject_type: str,
    subject_id: str,
    object_type: str,
    object_id: str,
    relation: str,
    as_json: bool,
) -> None:
    """Remove a grant made with `nexus rebac grant`."""
    text = relationship(subject_type, subject_id, relation, object_type, object_id)
    try:
        result = client_for(ctx).revoke_permission(
            subject_type, subject_id, object_type, object_id, relation
        )
    except NexusFileNotFoundError as error:
        if error.detail_code != "relationship_not_found":
            raise
        report_error(
            NexusFileNotFoundError(
                f"there is no grant {text} to revoke", code="relationship_not_found"
            )
        )
        ctx.exit(1)
    if as_json:
        echo_json(result)
    else:
        click.echo(f"Revoked: {text}")


@rebac.command()
@relationship_arguments
@json_option
@click.pass_context
def check(
    ctx: click.Context,
    subject_type: str,
    subject_id: str,
    object_type: str,
    object_id: str,
    relation: str,
    as_json: bool,
) -> None:
    """Check whether SUBJECT has the relation on OBJECT; exit status 0 if so, 1 if not."""
    allowed = client_for(ctx).check_permission(
        subject_type, subject_id, object_type, object_id, relation
    )
    if as_json:
        echo_json({"allowed": allowed})
    elif allowed:
        click.echo(
            f"{symbol('✅')}ALLOWED: {subject_type} {subject_id} has {relation} on "
            f"{object_type} {object_id}"
        )
    else:
        click.echo(
            f"{symbol('❌')}DENIED: {subject_type} {subject_id} does not have {relation} on "
            f"{object_type} {object_id}"
        )
    if not allowed:
        ctx.exit(1)


@rebac.command("list")
@click.option("--subject-type", metavar="TYPE")
@click.option("--subject-id", metavar="ID")
@click.option("--object-type", metavar="TYPE")
@click.option("--object-id", metavar="ID")
@click.option("--relation", metavar="RELATION")
@json_option
@click.pass_context
def list_relationships(
    ctx: click.Context,
    subject_type: str | None,
    subject_id: str | None,
    object_type: str | None,
    object_id: str | None,
    relation: str | None,
    as_json: bool,
) -> None:
    """List stored relationships matching every filter given."""
    records = client_for(ctx).list_permissions(
        object_type=object_type,
        object_id=object_id,
        subject_type=subject_type,
        subject_id=subject_id,
        relation=relation,
    )
    if as_json:
        echo_json(records)
        return
    if not records:
        click.echo("No relationships match.")
        return
    table = Table(title="Relationships", title_justify="left")
    for column in ("Subject", "Relation", "Object", "Granted by", "Created"):
        table.add_column(column, overflow="fold")
    for record in records:
        table.add_row(
            f"{record['subject_type']}:{record['subject_id']}",
            record["relation"],
            f"{record['object_type']}:{record['object_id']}",
            record["granted_by"] or "",
            str(record["created"])[:19].replace("T", " "),
        )
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        # Piped or captured: never fold or cut ids to an assumed 80 columns.
        console = Console(soft_wrap=False, width=100_000)
    console.print(table)
