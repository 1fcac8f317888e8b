"""`nexus activity` and `nexus admin audit` against a real server process."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from nexus.cli.main import cli
from tests.support.deployments import Deployment, deployment


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment("http", tmp_path_factory.mktemp("activity-cli")) as deployed:
        deployed.create_team()
        alice = deployed.as_user("alice")
        alice.write("/workspace/notes/a.txt", b"a")
        alice.move("/workspace/notes/a.txt", "/workspace/notes/b.txt")
        yield deployed


def nexus(team: Deployment, user: str | None, *args: str) -> Result:
    assert team.server is not None
    if user is None:  # the local admin socket
        env: dict[str, str | None] = {
            "NEXUS_ADMIN_SOCKET": team.server.admin_socket,
            "NEXUS_API_KEY": None,
        }
    else:
        env = {"NEXUS_URL": team.server.url, "NEXUS_API_KEY": team.keys[user]}
    return CliRunner().invoke(cli, list(args), env=env)


def test_activity_lists_newest_first_with_a_more_hint(team: Deployment) -> None:
    shown = nexus(team, "alice", "activity", "/workspace/notes", "--limit", "1")
    assert shown.exit_code == 0, shown.output
    first, hint = shown.stdout.splitlines()
    assert "alice" in first and "move" in first
    assert "/workspace/notes/a.txt -> /workspace/notes/b.txt" in first
    assert hint.startswith("more: --before ")
    rest = nexus(team, "alice", "activity", "/workspace/notes", "--json", *hint[6:].split())
    page = json.loads(rest.stdout)
    assert [e["action"] for e in page["events"]] == ["write"]
    assert page["next_before"] is None


def test_activity_hides_what_the_caller_cannot_read(team: Deployment) -> None:
    refused = nexus(team, "bob", "activity", "/workspace/notes")
    assert refused.exit_code == 1 and "not_found" in refused.stderr
    everything = nexus(team, "bob", "activity", "--json")
    assert json.loads(everything.stdout)["events"] == []


def test_admin_audit_filters_and_bad_input(team: Deployment) -> None:
    audited = nexus(team, None, "admin", "audit", "--user", "alice", "--action", "write", "--json")
    assert audited.exit_code == 0, audited.output
    assert [e["path"] for e in json.loads(audited.stdout)["events"]] == ["/workspace/notes/a.txt"]
    since = nexus(team, None, "admin", "audit", "--since", "2999-01-01")
    assert (since.exit_code, since.stdout) == (0, "")
    bad = nexus(team, None, "admin", "audit", "--since", "soon")
    assert bad.exit_code == 1 and "invalid_time" in bad.stderr
    limit = nexus(team, None, "admin", "audit", "--limit", "0")
    assert limit.exit_code == 2  # refused by the command line itself
    not_admin = nexus(team, "bob", "admin", "audit")
    assert not_admin.exit_code == 1 and "permission_denied" in not_admin.stderr


def test_admin_actions_are_printed_readably(team: Deployment) -> None:
    created = nexus(team, None, "admin", "create-user", "dave", "--name", "D", "--email", "d@x.io")
    assert created.exit_code == 0, created.output
    refused = nexus(team, "carol", "admin", "list-users")
    assert refused.exit_code == 1 and "permission_denied" in refused.stderr
    shown = nexus(team, None, "admin", "audit", "--action", "create_user", "--limit", "1")
    assert shown.exit_code == 0, shown.output
    newest, more = shown.stdout.splitlines()
    # id, date, time, actor, action, outcome, no path, the subject
    assert newest.split()[3:] == ["system", "create_user", "ok", "-", "admin=False", "user=dave"]
    assert more.startswith("more: --before ")
    denied = nexus(team, None, "admin", "audit", "--user", "carol", "--outcome", "denied")
    assert denied.stdout.split()[3:] == ["carol", "list_users", "denied", "-"]
    # Carol sees her own refused attempt, and no one's admin actions.
    own = nexus(team, "carol", "activity")
    assert own.exit_code == 0, own.output
    assert [line.split()[3:] for line in own.stdout.splitlines()] == [
        ["carol", "list_users", "denied", "-"]
    ]
