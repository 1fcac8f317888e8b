"""`nexus admin ...`: users, API keys, groups and sessions."""

from __future__ import annotations

from typing import Any

import click

from nexus.cli.context import client_for, connection_options
from nexus.cli.output import echo_json, json_option


@click.group()
@connection_options
def admin() -> None:
    """Manage users, API keys, groups and sessions.

    On the server host no key is needed: the command talks to the server's local admin
    socket as the OS user who started it. Elsewhere, set NEXUS_URL and an admin's
    NEXUS_API_KEY.
    """


def _user_line(user: dict[str, Any]) -> str:
    return f"- {user['id']} ({user['name']}) - {user['email']}"


# --- users ------------------------------------------------------------------------------


@admin.command("create-user")
@click.argument("user_id", metavar="ID")
@click.option("--name", required=True, help="Display name.")
@click.option("--email", required=True, help="Email address.")
@click.option("--admin", "make_admin", is_flag=True, help="Make the user an admin.")
@json_option
@click.pass_context
def create_user(
    ctx: click.Context, user_id: str, name: str, email: str, make_admin: bool, as_json: bool
) -> None:
    """Create user ID."""
    user = client_for(ctx).create_user(user_id, name, email, admin=make_admin)
    if as_json:
        echo_json(user)
        return
    click.echo(f"Created user {user['id']} ({user['name']}) - {user['email']}")
    if user["is_admin"] and not make_admin:
        click.echo(
            f"{user['id']} is an admin: the first user of a fresh server is made an admin "
            "automatically."
        )
    elif user["is_admin"]:
        click.echo(f"{user['id']} is an admin.")


@admin.command("list-users")
@click.option("-l", "--long", "long_format", is_flag=True, help="Also show admin and disabled.")
@json_option
@click.pass_context
def list_users(ctx: click.Context, long_format: bool, as_json: bool) -> None:
    """List all users."""
    users = client_for(ctx).list_users()
    if as_json:
        echo_json(users)
        return
    click.echo("Users:")
    for user in users:
        line = _user_line(user)
        if long_format:
            flags = [
                name
                for name, on in (("admin", user["is_admin"]), ("disabled", user["disabled"]))
                if on
            ]
            line += f" [{', '.join(flags)}]" if flags else ""
        click.echo(line)


def _set_disabled(ctx: click.Context, user_id: str, disabled: bool, as_json: bool) -> None:
    user = client_for(ctx).update_user(user_id, disabled=disabled)
    if as_json:
        echo_json(user)
    elif disabled:
        click.echo(f"Disabled user {user['id']}: their keys stop working.")
    else:
        click.echo(f"Enabled user {user['id']}.")


@admin.command("disable-user")
@click.argument("user_id", metavar="ID")
@json_option
@click.pass_context
def disable_user(ctx: click.Context, user_id: str, as_json: bool) -> None:
    """Disable user ID (their keys stop working until enabled again)."""
    _set_disabled(ctx, user_id, True, as_json)


@admin.command("enable-user")
@click.argument("user_id", metavar="ID")
@json_option
@click.pass_context
def enable_user(ctx: click.Context, user_id: str, as_json: bool) -> None:
    """Enable user ID again."""
    _set_disabled(ctx, user_id, False, as_json)


@admin.command("delete-user")
@click.argument("user_id", metavar="ID")
@json_option
@click.pass_context
def delete_user(ctx: click.Context, user_id: str, as_json: bool) -> None:
    """Delete user ID and revoke their keys."""
    client_for(ctx).delete_user(user_id)
    if as_json:
        echo_json({"id": user_id, "deleted": True})
    else:
        click.echo(f"Deleted user {user_id}.")


# --- keys -------------------------------------------------------------------------------


@admin.command("create-user-key")
@click.argument("user_id", metavar="ID")
@click.option("--description", default="", help="What the key is for.")
@click.option(
    "--expires-in",
    type=click.IntRange(min=1),
    metavar="SECONDS",
    help="Expire the key after this many seconds (default: never).",
)
@json_option
@click.pass_context
def create_user_key(
    ctx: click.Context, user_id: str, description: str, expires_in: int | None, as_json: bool
) -> None:
    """Create an API key for user ID; the key is printed only this once."""
    new_key = client_for(ctx).create_api_key(user_id, description, expires_in=expires_in)
    if as_json:
        echo_json(new_key)
        return
    info = new_key["info"]
    # The tutorial runs `grep "API Key" | awk '{print $4}'`: exactly one line may contain
    # "API Key", and the key must be its fourth field.
    expires = info["expires"] or "never"
    click.echo(f"Created a key for {info['user_id']} (id {info['id']}, expires {expires}).")
    click.echo(f"  New API Key: {new_key['key']}")
    click.echo("Store it now: it is shown only once and cannot be retrieved later.")


@admin.command("list-keys")
@click.option("--user", "user_id", metavar="ID", help="Only the keys of this user.")
@json_option
@click.pass_context
def list_keys(ctx: click.Context, user_id: str | None, as_json: bool) -> None:
    """List API keys (never the keys themselves: only ids and prefixes)."""
    keys = client_for(ctx).list_api_keys(user_id=user_id)
    if as_json:
        echo_json(keys)
        return
    if not keys:
        click.echo("No keys.")
        return
    click.echo("Keys:")
    for key in keys:
        state = "revoked" if key["revoked"] else f"expires {key['expires'] or 'never'}"
        description = f" {key['description']!r}" if key["description"] else ""
        click.echo(
            f"- {key['id']} ({key['user_id']}) {key['prefix']}...{description} "
            f"created {key['created']}, {state}"
        )


@admin.command("revoke-key")
@click.argument("key_id", metavar="KEY_ID")
@json_option
@click.pass_context
def revoke_key(ctx: click.Context, key_id: str, as_json: bool) -> None:
    """Revoke a key by its id (see list-keys); it stops working at once."""
    info = client_for(ctx).revoke_api_key(key_id)
    if as_json:
        echo_json(info)
    else:
        click.echo(f"Revoked key {info['id']} of {info['user_id']}.")


# --- groups -----------------------------------------------------------------------------


@admin.command("create-group")
@click.argument("name")
@click.option("--description", default="", help="What the group is for.")
@json_option
@click.pass_context
def create_group(ctx: click.Context, name: str, description: str, as_json: bool) -> None:
    """Create group NAME."""
    group = client_for(ctx).create_group(name, description=description)
    if as_json:
        echo_json(group)
    else:
        click.echo(f"Created group {group['name']}.")


@admin.command("list-groups")
@json_option
@click.pass_context
def list_groups(ctx: click.Context, as_json: bool) -> None:
    """List groups and their direct members."""
    groups = client_for(ctx).list_groups()
    if as_json:
        echo_json(groups)
        return
    if not groups:
        click.echo("No groups.")
        return
    click.echo("Groups:")
    for group in groups:
        description = f": {group['description']}" if group["description"] else ""
        members = ", ".join(group["members"]) or "none"
        click.echo(f"- {group['name']}{description} (members: {members})")


@admin.command("delete-group")
@click.argument("name")
@json_option
@click.pass_context
def delete_group(ctx: click.Context, name: str, as_json: bool) -> None:
    """Delete group NAME."""
    client_for(ctx).delete_group(name)
    if as_json:
        echo_json({"name": name, "deleted": True})
    else:
        click.echo(f"Deleted group {name}.")


def _membership(group: dict[str, Any], message: str, as_json: bool) -> None:
    if as_json:
        echo_json(group)
    else:
        click.echo(message)


@admin.command("add-user-to-group")
@click.argument("user_id", metavar="USER")
@click.argument("group_name", metavar="GROUP")
@json_option
@click.pass_context
def add_user_to_group(ctx: click.Context, user_id: str, group_name: str, as_json: bool) -> None:
    """Add USER to GROUP."""
    group = client_for(ctx).add_user_to_group(user_id, group_name)
    _membership(group, f"Added user {user_id} to group {group_name}.", as_json)


@admin.command("remove-user-from-group")
@click.argument("user_id", metavar="USER")
@click.argument("group_name", metavar="GROUP")
@json_option
@click.pass_context
def remove_user_from_group(
    ctx: click.Context, user_id: str, group_name: str, as_json: bool
) -> None:
    """Remove USER from GROUP."""
    group = client_for(ctx).remove_user_from_group(user_id, group_name)
    _membership(group, f"Removed user {user_id} from group {group_name}.", as_json)


@admin.command("add-group-to-group")
@click.argument("member", metavar="MEMBER_GROUP")
@click.argument("group_name", metavar="GROUP")
@json_option
@click.pass_context
def add_group_to_group(ctx: click.Context, member: str, group_name: str, as_json: bool) -> None:
    """Nest MEMBER_GROUP inside GROUP (its members become members of GROUP)."""
    group = client_for(ctx).add_group_to_group(member, group_name)
    _membership(group, f"Added group {member} to group {group_name}.", as_json)


@admin.command("remove-group-from-group")
@click.argument("member", metavar="MEMBER_GROUP")
@click.argument("group_name", metavar="GROUP")
@json_option
@click.pass_context
def remove_group_from_group(
    ctx: click.Context, member: str, group_name: str, as_json: bool
) -> None:
    """Remove the nested MEMBER_GROUP from GROUP."""
    group = client_for(ctx).remove_group_from_group(member, group_name)
    _membership(group, f"Removed group {member} from group {group_name}.", as_json)


# --- sessions ---------------------------------------------------------------------------


@admin.command("list-sessions")
@click.option("--all", "all_users", is_flag=True, help="Every user's sessions (admins).")
@json_option
@click.pass_context
def list_sessions(ctx: click.Context, all_users: bool, as_json: bool) -> None:
    """List sessions (your own, or everyone's with --all)."""
    sessions = client_for(ctx).list_sessions(all_users=all_users)
    if as_json:
        echo_json(sessions)
        return
    if not sessions:
        click.echo("No sessions.")
        return
    click.echo("Sessions:")
    for session in sessions:
        click.echo(
            f"- {session['id']} {session['name']} ({session['user_id']}) {session['path']} "
            f"expires {session['expires'] or 'never'}"
        )
