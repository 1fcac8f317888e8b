"""`nexus rebac ...`: grant, revoke, check and list relationships; batch checks, lookups,
expand, bulk writes and deletes; explain a check."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from typing import IO, Any, TypeVar

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from nexus.cli.context import client_for, connection_options
from nexus.cli.output import echo_json, json_option, relationship, report_error, symbol
from nexus.errors import NexusError, NexusFileNotFoundError

F = TypeVar("F", bound=Callable[..., Any])

# Exit statuses of the commands that answer yes or no (check, check-batch, explain), as grep
# and test(1) use them: a script must tell "denied" from "could not ask".
DENIED_EXIT, ERROR_EXIT = 1, 2
EXIT_STATUS_HELP = (
    "Exit status: 0 allowed, 1 denied, 2 error (usage, connection, authentication, refused "
    "or invalid question)."
)


class VerdictCommand(click.Command):
    """A command whose exit status is its answer, so any failure exits ERROR_EXIT (2), not
    the 1 every other command uses (which here means "denied")."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # an answer (ctx.exit), or a usage error (already 2)
        except NexusError as error:
            report_error(error)
            raise click.exceptions.Exit(ERROR_EXIT) from None
        except Exception:
            # A bug: show it, but never as "denied".
            traceback.print_exc()
            raise click.exceptions.Exit(ERROR_EXIT) from None


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


@rebac.command(cls=VerdictCommand, epilog=EXIT_STATUS_HELP)
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
    """Check whether SUBJECT has the relation on OBJECT; exit status 0 if so, 1 if not, 2 if
    the check could not be made."""
    record = client_for(ctx).check_permission_record(
        subject_type, subject_id, object_type, object_id, relation
    )
    allowed = bool(record["allowed"])
    if as_json:
        echo_json(record)
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
        ctx.exit(DENIED_EXIT)


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
        # Names are Text, never markup: '[b]', 'x[/]' or a trailing backslash is part of a path
        # (markup escaping does not round-trip a trailing backslash).
        table.add_row(
            Text(f"{record['subject_type']}:{record['subject_id']}"),
            Text(record["relation"]),
            Text(f"{record['object_type']}:{record['object_id']}"),
            Text(record["granted_by"] or ""),
            str(record["created"])[:19].replace("T", " "),
        )
    _wide_console().print(table)


# --- batch check, lookups, expand, bulk writes -------------------------------------------


def parse_subject(value: str) -> tuple[str, str]:
    """``user:bob`` / ``group:devs`` / ``user:*`` -> (subject_type, subject_id)."""
    subject_type, sep, subject_id = value.partition(":")
    if not sep or subject_type not in ("user", "group") or not subject_id:
        raise click.BadParameter(
            f"{value!r} is not a subject: write user:ID, group:NAME or user:* (every user)",
            param_hint="--subject",
        )
    return subject_type, subject_id


def read_requests(source: IO[str], what: str) -> list[dict[str, Any]]:
    """Checks or relationships from a file: one JSON list, or one JSON object per line."""
    text = source.read()
    name = getattr(source, "name", "-")
    try:
        whole = json.loads(text) if text.strip() else []
    except ValueError:
        whole = None
    if isinstance(whole, dict):
        whole = [whole]
    items: list[Any]
    if isinstance(whole, list):
        items = whole
    else:
        items = []
        # Lines end at "\n" alone: str.splitlines would also split inside a JSON string at
        # U+2028, U+2029 or U+0085, which JSON writes unescaped (and a name may hold).
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except ValueError as exc:
                raise click.BadParameter(
                    f"{name} line {number} is not JSON ({exc}); give a JSON list of {what} "
                    "or one JSON object per line",
                    param_hint="FILE",
                ) from None
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise click.BadParameter(
                f"{what}[{index}] in {name} is not a JSON object", param_hint="FILE"
            )
    return items


def _wide_console() -> Console:
    # No emoji codes: a name such as ':thumbs_up:' is printed as it is.
    console = Console(soft_wrap=False, emoji=False)
    if not console.is_terminal:
        # Piped or captured: never fold or cut paths to an assumed 80 columns.
        console = Console(soft_wrap=False, emoji=False, width=100_000)
    return console


@rebac.command("check-batch", cls=VerdictCommand, epilog=EXIT_STATUS_HELP)
@click.argument("source", metavar="FILE|-", type=click.File("r"))
@json_option
@click.pass_context
def check_batch(ctx: click.Context, source: IO[str], as_json: bool) -> None:
    """Run many checks at once (at most 1000), read from FILE or stdin (-) as a JSON list
    or JSON lines; exit status 0 if every check is allowed, 1 if any is denied, 2 on error.

    Each entry has subject_type (user or group), subject_id, relation and object_id (a
    path); object_type ("file") may be left out. Example line:

    \b
    {"subject_type": "user", "subject_id": "bob", "relation": "can_read", "object_id": "/x"}

    --json prints {"results": [...], "revision": N}: each check with its "allowed", in order.
    """
    checks = read_requests(source, "checks")
    record = client_for(ctx).check_permissions_record(checks)
    answers = list(zip(checks, record["results"], strict=True))
    if as_json:
        results = [{**item, "allowed": allowed} for item, allowed in answers]
        echo_json({**record, "results": results})
    else:
        for item, allowed in answers:
            target = (
                f"{item.get('subject_type')} {item.get('subject_id')}",
                f"{item.get('relation')} on {item.get('object_type', 'file')} "
                f"{item.get('object_id')}",
            )
            if allowed:
                click.echo(f"{symbol('✅')}ALLOWED: {target[0]} has {target[1]}")
            else:
                click.echo(f"{symbol('❌')}DENIED: {target[0]} does not have {target[1]}")
    if not all(allowed for _item, allowed in answers):
        ctx.exit(DENIED_EXIT)


@rebac.command("list-objects")
@click.argument("relation")
@click.option("--under", "path", default="/", metavar="PATH", help="Only at or below PATH.")
@click.option(
    "--subject",
    metavar="SUBJECT",
    help="user:ID, group:NAME or user:* (default: yourself; others need admin, except '*' "
    "and groups you belong to).",
)
@json_option
@click.pass_context
def list_objects(
    ctx: click.Context, relation: str, path: str, subject: str | None, as_json: bool
) -> None:
    """List the paths on which a subject has RELATION, e.g. what bob can read.

    Example: nexus rebac list-objects can_read --under /workspace --subject user:bob
    """
    subject_type, subject_id = parse_subject(subject) if subject else ("user", None)
    record = client_for(ctx).list_objects_record(relation, path, subject_type, subject_id)
    found: list[str] = record["paths"]
    if as_json:
        echo_json(record)
    elif not found:
        click.echo("No paths match.", err=True)
    else:
        for found_path in found:
            click.echo(found_path)


@rebac.command("list-subjects")
@click.argument("relation")
@click.argument("path")
@click.option(
    "--expand-groups", is_flag=True, help="List the users of groups instead of the groups."
)
@json_option
@click.pass_context
def list_subjects(
    ctx: click.Context, relation: str, path: str, expand_groups: bool, as_json: bool
) -> None:
    """List who has RELATION on PATH (directly, from folders above, or through groups).

    user:* means every user. Admins hold every relation and are not listed.
    """
    record = client_for(ctx).list_subjects_record(path, relation, expand_groups)
    found: list[dict[str, Any]] = record["subjects"]
    if as_json:
        echo_json(record)
    elif not found:
        click.echo("No subjects match.", err=True)
    else:
        for item in found:
            click.echo(f"{item['subject_type']}:{item['subject_id']}")


def _expand_label(node: dict[str, Any]) -> str:
    label = f"{node['object_type']}:{node['object_id']}#{node['relation']} ({node['kind']})"
    return label + (" [cycle: expanded above]" if node.get("cycle") else "")


def _expand_key(node: dict[str, Any]) -> str:
    """What identifies a subtree: its node and its children's nodes (two 'computed' nodes of
    can_read differ only in what they point at: can_write or can_execute)."""
    parts = [node, *node.get("children", [])]
    return json.dumps([[p["object_type"], p["object_id"], p["relation"], p["kind"]] for p in parts])


def _fill_expand(branch: Tree, node: dict[str, Any], shown: set[str]) -> None:
    """Subjects, then children; a subtree printed once already is named, not repeated (a
    folder's can_write is reached through can_read and through can_write of each child)."""
    for item in node.get("subjects", []):
        branch.add(Text(f"{item['subject_type']}:{item['subject_id']}"))
    for child in node.get("children", []):
        key = _expand_key(child)
        if key in shown and child.get("children"):
            branch.add(Text(_expand_label(child) + " (shown above)"))
            continue
        shown.add(key)
        _fill_expand(branch.add(Text(_expand_label(child))), child, shown)


@rebac.command("expand")
@click.argument("relation")
@click.argument("path")
@json_option
@click.pass_context
def expand(ctx: click.Context, relation: str, path: str, as_json: bool) -> None:
    """Show the userset tree of RELATION on PATH: every way the relation can be held.

    A subtree that was printed already is shown once and then named "(shown above)";
    --json prints the whole tree and the revision: {"tree": {...}, "revision": N}.
    """
    record = client_for(ctx).expand_permission_record(path, relation)
    if as_json:
        echo_json(record)
        return
    node: dict[str, Any] = record["tree"]
    tree = Tree(Text(_expand_label(node)))
    _fill_expand(tree, node, {_expand_key(node)})
    _wide_console().print(tree)


@rebac.command("write")
@click.argument("source", metavar="FILE|-", type=click.File("r"))
@json_option
@click.pass_context
def write_relationships(ctx: click.Context, source: IO[str], as_json: bool) -> None:
    """Grant many relationships at once (at most 1000), read from FILE or stdin (-) as a
    JSON list or JSON lines: all of them or, if any is refused, none.

    Each entry has subject_type (user or group), subject_id, relation and object_id (a
    path); object_type ("file") may be left out. Example line:

    \b
    {"subject_type": "user", "subject_id": "bob", "relation": "can_read", "object_id": "/x"}
    """
    relationships = read_requests(source, "relationships")
    result = client_for(ctx).write_relationships(relationships)
    if as_json:
        echo_json(result)
        return
    click.echo(
        f"Wrote {result['written']} relationship(s) ({result['unchanged']} already existed); "
        f"revision {result['revision']}"
    )


@rebac.command("delete")
@click.option("--object", "object_id", metavar="PATH", help="The file or directory.")
@click.option("--relation", metavar="RELATION", help="owner, can_write, can_read or can_execute.")
@click.option("--subject", metavar="SUBJECT", help="user:ID, group:NAME or user:*.")
@json_option
@click.pass_context
def delete_relationships(
    ctx: click.Context,
    object_id: str | None,
    relation: str | None,
    subject: str | None,
    as_json: bool,
) -> None:
    """Delete every grant matching all the filters given (at least one).

    Without --object only admins may delete (a subject's grants everywhere).
    """
    if object_id is None and relation is None and subject is None:
        raise click.UsageError("give at least one of --object, --relation and --subject")
    subject_type, subject_id = parse_subject(subject) if subject else (None, None)
    result = client_for(ctx).delete_relationships(
        object_id=object_id, relation=relation, subject_type=subject_type, subject_id=subject_id
    )
    if as_json:
        echo_json(result)
        return
    click.echo(f"Deleted {result['deleted']} relationship(s); revision {result['revision']}")


@rebac.command("explain", cls=VerdictCommand, epilog=EXIT_STATUS_HELP)
@relationship_arguments
@json_option
@click.pass_context
def explain(
    ctx: click.Context,
    subject_type: str,
    subject_id: str,
    object_type: str,
    object_id: str,
    relation: str,
    as_json: bool,
) -> None:
    """Explain a check: the chain of grants that allows it, or what was tried and the
    nearest missing link. Exit status 0 if allowed, 1 if not, 2 on error (as `rebac check`).

    Example: nexus rebac explain user bob file /workspace/x/specs.md --relation can_write
    """
    result = client_for(ctx).explain_permission(
        subject_type, subject_id, object_type, object_id, relation
    )
    if as_json:
        echo_json(result)
    elif result["allowed"]:
        click.echo(f"{symbol('✅')}ALLOWED: {result['summary']}")
        for number, step in enumerate(result["steps"], start=1):
            click.echo(f"  {number}. {step}")
    else:
        click.echo(f"{symbol('❌')}DENIED: {result['summary']}")
        if result["tried"]:
            click.echo("Tried:")
            for line in result["tried"]:
                click.echo(f"  {line}")
        if result["missing"]:
            click.echo(f"Missing: {result['missing']}")
    if not result["allowed"]:
        ctx.exit(DENIED_EXIT)
