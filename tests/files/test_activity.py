"""The activity log through the service, on SQLite and PostgreSQL: what is recorded (one ok
event per mutation, in its transaction; refused attempts), who sees what, paging, audit."""

from __future__ import annotations

from typing import Any

import pytest

from nexus.errors import (
    NexusConflictError,
    NexusFileNotFoundError,
    NexusLockedError,
    NexusPermissionError,
    NexusValidationError,
)
from nexus.files import NexusService, Principal

Event = dict[str, Any]


def _events(service: NexusService, who: Principal, path: str = "/", **kw: Any) -> list[Event]:
    page = service.activity.activity(who, path, **kw)
    return [event.model_dump() for event in page.events]


def _audit(service: NexusService, who: Principal, **filters: Any) -> list[Event]:
    return [event.model_dump() for event in service.activity.audit(who, **filters).events]


def _ok(events: list[Event]) -> list[tuple[str, str | None]]:
    return [(e["action"], e["path"]) for e in events if e["outcome"] == "ok"]


def test_each_mutation_records_one_ok_event(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, admin = people["alice"], people["admin"]
    d = "/workspace/a"
    service.files.mkdir(alice, d)
    service.files.write(alice, f"{d}/f.txt", b"one")
    service.files.append(alice, f"{d}/f.txt", b"two")
    service.versions.restore_version(alice, f"{d}/f.txt", 1)
    service.permissions.grant(alice, "user", "bob", "file", d, "can_read")
    service.permissions.revoke(alice, "user", "bob", "file", d, "can_read")
    token = service.locks.lock(alice, f"{d}/f.txt", 60).token
    service.locks.extend(alice, f"{d}/f.txt", token, 120)
    service.locks.unlock(alice, f"{d}/f.txt", token)
    service.files.mkdir(alice, f"{d}/sub")
    service.files.set_restricted(alice, f"{d}/sub", True)
    service.files.move(alice, f"{d}/f.txt", f"{d}/g.txt")
    service.files.delete(alice, f"{d}/g.txt")
    events = _audit(service, admin, user="alice")
    assert [(e["action"], e["outcome"]) for e in reversed(events)] == [
        ("mkdir", "ok"),
        ("write", "ok"),
        ("append", "ok"),
        ("restore", "ok"),
        ("grant", "ok"),
        ("revoke", "ok"),
        ("lock", "ok"),
        ("extend_lock", "ok"),
        ("unlock", "ok"),
        ("mkdir", "ok"),
        ("restrict", "ok"),
        ("move", "ok"),
        ("delete", "ok"),
    ]
    by_action = {e["action"]: e for e in events}
    assert by_action["write"]["details"] == {"version": 1, "size": 3, "created": True}
    assert by_action["append"]["details"]["version"] == 2
    assert by_action["restore"]["details"] == {"version": 3, "size": 3, "restored": 1}
    assert by_action["grant"]["details"] == {"relation": "can_read", "subject": "user:bob"}
    assert by_action["move"]["path"] == f"{d}/f.txt"
    assert by_action["move"]["target"] == f"{d}/g.txt"
    assert by_action["restrict"]["details"] == {"restricted": True}
    assert all(e["actor"] == "alice" and e["time"] for e in events)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids, reverse=True)


def test_failed_mutations_leave_no_ok_event(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, admin = people["alice"], people["admin"]
    service.files.write(alice, "/workspace/f", b"x")
    before = len(_audit(service, admin, user="alice"))
    with pytest.raises(NexusConflictError):
        service.files.write(alice, "/workspace/f", b"y", if_version=7)
    with pytest.raises(NexusValidationError):
        service.files.delete(alice, "/workspace")
    service.files.mkdir(alice, "/workspace/d")
    service.files.write(alice, "/workspace/d/x", b"x")
    with pytest.raises(NexusValidationError):  # not empty: the transaction rolls back
        service.files.delete(alice, "/workspace/d")
    service.files.mkdir(alice, "/workspace/d")  # exists already: nothing changes
    after = _audit(service, admin, user="alice")
    assert [e["action"] for e in after[: len(after) - before]] == ["write", "mkdir"]


def test_refused_attempts_are_recorded(service: NexusService, people: dict[str, Principal]) -> None:
    alice, bob, admin = people["alice"], people["bob"], people["admin"]
    service.files.write(alice, "/workspace/private.txt", b"x")
    with pytest.raises(NexusPermissionError):
        service.files.write(bob, "/workspace/private.txt", b"mine")
    with pytest.raises(NexusFileNotFoundError):
        service.files.delete(bob, "/workspace/nothing")
    with pytest.raises(NexusFileNotFoundError):  # unseen: the 403/404 rule
        service.files.move(bob, "/workspace/private.txt", "/workspace/stolen")
    token = service.locks.lock(alice, "/workspace/private.txt", 60).token
    service.permissions.grant(alice, "user", "bob", "file", "/workspace/private.txt", "can_write")
    with pytest.raises(NexusLockedError):
        service.files.append(bob, "/workspace/private.txt", b"!")
    service.locks.unlock(alice, "/workspace/private.txt", token)
    refused = _audit(service, admin, user="bob")
    assert [(e["action"], e["outcome"], e["path"], e["target"]) for e in reversed(refused)] == [
        ("write", "denied", "/workspace/private.txt", None),
        ("delete", "not_found", "/workspace/nothing", None),
        ("move", "not_found", "/workspace/private.txt", "/workspace/stolen"),
        ("append", "locked", "/workspace/private.txt", None),
    ]
    assert _audit(service, admin, outcome="denied", user="bob")[0]["action"] == "write"
    # Bob sees his own refused attempts, even on what he cannot read...
    mine = _events(service, bob, "/workspace")
    assert {(e["action"], e["outcome"]) for e in mine if e["outcome"] != "ok"} == {
        ("write", "denied"),
        ("delete", "not_found"),
        ("move", "not_found"),
        ("append", "locked"),
    }
    # ...and Alice does not see them.
    assert all(e["outcome"] == "ok" for e in _events(service, alice, "/workspace"))


def test_callers_see_only_what_they_can_read_now(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = people["alice"], people["bob"]
    service.files.mkdir(alice, "/workspace/team")
    service.permissions.grant(alice, "user", "bob", "file", "/workspace/team", "can_read")
    service.files.write(alice, "/workspace/team/open.txt", b"x")
    service.files.mkdir(alice, "/workspace/team/hidden")
    service.files.set_restricted(alice, "/workspace/team/hidden", True)
    service.files.write(alice, "/workspace/team/hidden/secret.txt", b"x")
    service.files.write(alice, "/workspace/elsewhere.txt", b"x")
    seen = _ok(_events(service, bob, "/workspace"))
    assert ("write", "/workspace/team/open.txt") in seen
    assert all("hidden" not in (p or "") and "elsewhere" not in (p or "") for _a, p in seen)
    # The restricted folder itself was seen until it was restricted (its mkdir, a grant's
    # worth of knowledge Bob had then), but nothing inside it nor the restriction.
    assert ("restrict", "/workspace/team/hidden") not in seen
    # Asking about a hidden path: the 403/404 rule.
    with pytest.raises(NexusFileNotFoundError):
        service.activity.activity(bob, "/workspace/team/hidden")
    # A deleted file stays visible through its folder; a deleted restricted folder does not.
    service.files.delete(alice, "/workspace/team/open.txt")
    service.files.delete(alice, "/workspace/team/hidden", recursive=True)
    seen = _ok(_events(service, bob, "/workspace/team"))
    assert ("delete", "/workspace/team/open.txt") in seen
    assert ("write", "/workspace/team/open.txt") in seen
    assert not any("hidden" in (p or "") and a != "mkdir" for a, p in seen)
    # Revoked: nothing under the folder any more.
    service.permissions.revoke(alice, "user", "bob", "file", "/workspace/team", "can_read")
    with pytest.raises(NexusFileNotFoundError):
        service.activity.activity(bob, "/workspace/team")
    assert not any("team" in (p or "") for _a, p in _ok(_events(service, bob, "/workspace")))


def test_moves_do_not_reveal_where_an_entry_came_from(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = people["alice"], people["bob"]
    service.files.mkdir(alice, "/workspace/secret-plans")
    service.files.write(alice, "/workspace/secret-plans/x.txt", b"x")
    service.files.mkdir(alice, "/workspace/team")
    service.permissions.grant(alice, "user", "bob", "file", "/workspace/team", "can_read")
    service.files.move(alice, "/workspace/secret-plans/x.txt", "/workspace/team/x.txt")
    service.files.write(alice, "/workspace/team/x.txt", b"y")
    everything = _events(service, bob, "/")
    assert not any("secret" in (e["path"] or "") for e in everything)
    assert ("write", "/workspace/team/x.txt") in _ok(everything)


def test_paging_and_bad_arguments(service: NexusService, people: dict[str, Principal]) -> None:
    alice = people["alice"]
    for n in range(7):
        service.files.write(alice, f"/workspace/f{n}", b"x")
    first = service.activity.activity(alice, "/workspace", limit=3)
    assert [e.path for e in first.events] == ["/workspace/f6", "/workspace/f5", "/workspace/f4"]
    second = service.activity.activity(alice, "/workspace", limit=3, before=first.next_before)
    third = service.activity.activity(alice, "/workspace", limit=3, before=second.next_before)
    assert [e.path for e in second.events + third.events] == [
        f"/workspace/f{n}" for n in (3, 2, 1, 0)
    ]
    assert third.next_before is None
    for limit in (0, -1, 1001, True, "5", 2.0):
        with pytest.raises(NexusValidationError) as caught:
            service.activity.activity(alice, "/", limit=limit)
        assert caught.value.detail_code == "invalid_limit"
    for before in (0, -3, 2**63, "x", 1.5, False):
        with pytest.raises(NexusValidationError) as caught:
            service.activity.activity(alice, "/", before=before)
        assert caught.value.detail_code == "invalid_cursor"
    assert service.activity.activity(alice, "/", before=1).events == []


def test_audit_is_for_admins_and_filters(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob, admin = people["alice"], people["bob"], people["admin"]
    with pytest.raises(NexusPermissionError):
        service.activity.audit(alice)
    service.files.write(alice, "/workspace/a/x", b"x")
    service.files.write(bob, "/workspace/b/y", b"y")
    with pytest.raises(NexusPermissionError):
        service.files.delete(bob, "/workspace/a/x")
    assert {e["actor"] for e in _audit(service, admin, path="/workspace/a")} == {"alice", "bob"}
    assert [e["path"] for e in _audit(service, admin, user="bob", action="write")] == [
        "/workspace/b/y"
    ]
    assert _audit(service, admin, since="2999-01-01") == []
    assert len(_audit(service, admin, until="2999-01-01T00:00:00+02:00")) >= 3
    assert _audit(service, admin, path="/workspace/ab") == []  # a prefix of a name is not below
    bad: list[tuple[dict[str, Any], str]] = [
        ({"since": "yesterday"}, "invalid_time"),
        ({"until": ""}, "invalid_time"),
        ({"since": "2030-01-01", "until": "2020-01-01"}, "invalid_time"),
        ({"action": "explode"}, "unknown_action"),
        ({"outcome": "maybe"}, "unknown_outcome"),
        ({"limit": 0}, "invalid_limit"),
        ({"path": "relative"}, "invalid_path"),
    ]
    for filters, code in bad:
        with pytest.raises(NexusValidationError) as caught:
            service.activity.audit(admin, **filters)
        assert caught.value.detail_code == code, filters


def test_retention_prunes_old_events(service: NexusService, people: dict[str, Principal]) -> None:
    alice, admin = people["alice"], people["admin"]
    service.files.write(alice, "/workspace/f", b"x")
    now = service.runtime.now()
    assert service.activity.prune(now) == 0
    keep = service.runtime.settings.activity_keep_days
    assert service.activity.prune(now + keep * 86400 + 1) >= 1
    assert _audit(service, admin) == []
