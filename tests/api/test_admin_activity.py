"""Admin actions in the activity log through the embedded and the HTTP client (a real server
process): who acted (an admin's key, or `system` on the admin socket), what on, and who may
see it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from nexus.errors import NexusPermissionError
from tests.api.helpers import raises
from tests.support.deployments import Deployment, deployment


@pytest.fixture(scope="module", params=["embedded", "http"])
def team(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    with deployment(request.param, tmp_path_factory.mktemp("admin-activity")) as deployed:
        deployed.create_team()
        yield deployed


def _newest(team: Deployment, action: str) -> dict[str, Any]:
    events: list[dict[str, Any]] = team.system().audit(action=action, limit=1)["events"]
    assert events, action
    return events[0]


def test_an_admin_keys_actions_name_the_admin_and_the_key(team: Deployment) -> None:
    admin = team.as_user("admin")
    admin_key = admin.list_api_keys(user_id="admin")[0]["id"]
    admin.create_user("dave", "Dave", "dave@example.com")
    new_key = admin.create_api_key("dave", "dave's key")
    admin.update_user("dave", disabled=True)
    admin.revoke_api_key(new_key["info"]["id"])
    admin.create_group("ops")
    admin.add_user_to_group("dave", "ops")
    admin.delete_user("dave")
    key = {"user": "dave", "key_id": new_key["info"]["id"], "prefix": new_key["info"]["prefix"]}
    expected = {
        "create_user": {"user": "dave", "admin": False},
        "create_key": key,
        "update_user": {"user": "dave", "disabled": True},
        "revoke_key": key,
        "create_group": {"group": "ops"},
        "add_member": {"group": "ops", "user": "dave"},
        "delete_user": {"user": "dave"},
    }
    for action, details in expected.items():
        event = _newest(team, action)
        assert (event["actor"], event["key_id"], event["outcome"]) == ("admin", admin_key, "ok")
        assert (event["path"], event["target"], event["details"]) == (None, None, details)
    assert new_key["key"] not in json.dumps(team.system().audit(limit=1000))


def test_the_admin_socket_acts_as_system(team: Deployment) -> None:
    team.system().create_user("erin", "Erin", "erin@example.com")
    event = _newest(team, "create_user")
    assert (event["actor"], event["key_id"], event["details"]) == (
        "system",
        None,
        {"user": "erin", "admin": False},
    )
    created = team.system().audit(action="create_user", user="system")["events"]
    assert [e["details"]["user"] for e in created][-4:] == ["carol", "bob", "alice", "admin"]


def test_refused_attempts_are_seen_by_who_tried_and_admins_only(team: Deployment) -> None:
    bob, carol = team.as_user("bob"), team.as_user("carol")
    with raises(NexusPermissionError):
        bob.list_users()
    with raises(NexusPermissionError):
        bob.create_api_key("bob")
    mine = bob.activity("/")["events"]
    assert [(e["action"], e["outcome"], e["details"]) for e in mine] == [
        ("create_key", "denied", {"user": "bob"}),
        ("list_users", "denied", {}),
    ]
    assert all(e["key_id"] for e in mine)  # his own key, shown to him
    assert bob.activity("/workspace")["events"] == []  # admin actions name no path
    # Nobody else but admins sees them, nor any admin action of others.
    assert carol.activity("/")["events"] == []
    denied = team.as_user("admin").audit(user="bob", outcome="denied")["events"]
    assert [e["action"] for e in denied] == ["create_key", "list_users"]


def test_looking_at_the_log_is_in_the_log(team: Deployment) -> None:
    admin = team.as_user("admin")
    page = admin.audit(action="create_user", outcome="ok", since="2000-01-01")
    event = admin.audit(action="audit", user="admin", limit=1)["events"][0]
    assert event["details"] == {
        "action": "create_user",
        "outcome": "ok",
        "since": "2000-01-01",
        "count": len(page["events"]),
    }
    assert len(page["events"]) >= 4  # the team at least
