"""The activity log through the embedded and the HTTP client (a real server process): the
same pages and the same errors from both; raw HTTP bodies for bad query strings."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from nexus.api.models import API_PREFIX
from nexus.errors import NexusFileNotFoundError, NexusPermissionError, NexusValidationError
from tests.api.helpers import grant, raises, revoke
from tests.support.deployments import Deployment, deployment

TEAM_DIR = "/workspace/team"


@pytest.fixture(scope="module", params=["embedded", "http"])
def team(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    with deployment(request.param, tmp_path_factory.mktemp("activity")) as deployed:
        deployed.create_team()
        alice = deployed.as_user("alice")
        alice.mkdir(TEAM_DIR)
        alice.write(f"{TEAM_DIR}/plan.md", b"v1")
        alice.write(f"{TEAM_DIR}/plan.md", b"v2")
        alice.write("/workspace/alice-only.txt", b"x")
        yield deployed


def test_readers_see_events_on_what_they_can_read(team: Deployment) -> None:
    alice, bob = team.as_user("alice"), team.as_user("bob")
    with raises(NexusFileNotFoundError):
        bob.activity(TEAM_DIR)
    grant(alice, "bob", TEAM_DIR, "can_read")
    page = bob.activity(TEAM_DIR)
    assert [(e["action"], e["path"]) for e in page["events"]] == [
        ("grant", TEAM_DIR),
        ("write", f"{TEAM_DIR}/plan.md"),
        ("write", f"{TEAM_DIR}/plan.md"),
        ("mkdir", TEAM_DIR),
    ]
    assert page["events"][1]["details"] == {"version": 2, "size": 2, "created": False}
    assert page["next_before"] is None
    assert all(e["key_id"] is None for e in page["events"])  # alice's key is hers to know
    assert not any("alice-only" in (e["path"] or "") for e in bob.activity("/")["events"])
    own = alice.activity(TEAM_DIR, limit=1)
    assert own["events"][0]["key_id"]  # the key alice used, shown to her
    assert own["next_before"] == own["events"][0]["id"]
    revoke(alice, "bob", TEAM_DIR, "can_read")
    assert not any(TEAM_DIR in (e["path"] or "") for e in bob.activity("/")["events"])


def test_own_refused_attempts_are_shown(team: Deployment) -> None:
    bob = team.as_user("bob")
    with raises(NexusPermissionError):
        bob.write("/workspace/alice-only.txt", b"mine")
    refused = [e for e in bob.activity("/workspace")["events"] if e["outcome"] != "ok"]
    assert (refused[0]["action"], refused[0]["outcome"], refused[0]["path"]) == (
        "write",
        "denied",
        "/workspace/alice-only.txt",
    )
    admin = team.as_user("admin")
    audited = admin.audit(user="bob", outcome="denied", limit=1)["events"]
    assert audited[0]["path"] == "/workspace/alice-only.txt"
    assert audited[0]["key_id"]


def test_audit_is_for_admins(team: Deployment) -> None:
    with raises(NexusPermissionError):
        team.as_user("alice").audit()
    system = team.system()
    writes = system.audit(action="write", path=TEAM_DIR)["events"]
    assert {e["path"] for e in writes} == {f"{TEAM_DIR}/plan.md"}
    assert system.audit(since="2999-01-01")["events"] == []


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"limit": 0}, "invalid_limit"),
        ({"limit": -1}, "invalid_limit"),
        ({"limit": 10**9}, "invalid_limit"),
        ({"limit": "5"}, "invalid_limit"),
        ({"limit": True}, "invalid_limit"),
        ({"before": 0}, "invalid_cursor"),
        ({"before": 2**70}, "invalid_cursor"),
        ({"before": "12"}, "invalid_cursor"),
        ({"path": "no-slash"}, "invalid_path"),
    ],
)
def test_bad_activity_arguments(team: Deployment, kwargs: dict[str, object], code: str) -> None:
    with raises(NexusValidationError, code):
        team.as_user("alice").activity(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"since": "last tuesday"}, "invalid_time"),
        ({"until": 5}, "invalid_time"),
        ({"since": "2030-01-01", "until": "2020-01-01"}, "invalid_time"),
        ({"action": "explode"}, "unknown_action"),
        ({"outcome": "maybe"}, "unknown_outcome"),
        ({"user": ""}, "invalid_user"),
        ({"limit": 0}, "invalid_limit"),
    ],
)
def test_bad_audit_arguments(team: Deployment, kwargs: dict[str, object], code: str) -> None:
    with raises(NexusValidationError, code):
        team.system().audit(**kwargs)  # type: ignore[arg-type]


def test_bad_query_strings_are_400s(team: Deployment) -> None:
    if team.server is None:
        pytest.skip("raw HTTP only")
    headers = {"Authorization": f"Bearer {team.keys['alice']}"}
    for query in (
        "limit=abc",
        "before=x",
        "limit=0",
        "before=-1",
        "before=99999999999999999999999",
    ):
        response = httpx.get(f"{team.server.url}{API_PREFIX}/activity?{query}", headers=headers)
        assert response.status_code == 400, (query, response.text)
        assert response.json()["error"]["code"] == "invalid_argument"
    response = httpx.get(f"{team.server.url}{API_PREFIX}/admin/audit", headers=headers)
    assert response.status_code == 403
