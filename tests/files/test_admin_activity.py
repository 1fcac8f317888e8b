"""Admin actions in the activity log, through the service on SQLite and PostgreSQL: each
leaves exactly its event (actor, key, the subject in details, no path) in the change's own
transaction; no-ops and failed changes leave no ok event; refused attempts are recorded and
shown to whoever made them, and to nobody else but admins."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from nexus.errors import (
    NexusError,
    NexusFileExistsError,
    NexusFileNotFoundError,
    NexusPermissionError,
    NexusValidationError,
)
from nexus.files import SYSTEM, NexusService, Principal
from nexus.files.timestamps import iso
from nexus.metadata.activity import ActivityStore, Event, EventFilter

T = TypeVar("T")


def _log(service: NexusService, after: int = 0) -> list[Event]:
    """The stored events with ids above ``after``, oldest first (reading records nothing;
    refusals recorded so far are committed first)."""
    service.runtime.refusals.flush()
    with service.runtime.db.read() as conn:
        found = ActivityStore().find(conn, EventFilter(), 10_000)
    return [event for event in reversed(found) if event.id is not None and event.id > after]


def _last_id(service: NexusService) -> int:
    events = _log(service)
    return events[-1].id or 0 if events else 0


def _recorded(service: NexusService, act: Callable[[], T]) -> tuple[T, list[Event]]:
    """What ``act`` returns and the events it left."""
    last = _last_id(service)
    return act(), _log(service, last)


def _one(service: NexusService, act: Callable[[], T]) -> tuple[T, Event]:
    """What ``act`` returns and the one event it left."""
    result, new = _recorded(service, act)
    assert len(new) == 1, [(e.action, e.outcome, e.details) for e in new]
    return result, new[0]


def _keyed(service: NexusService, user_id: str) -> Principal:
    """``user_id`` as a request with a real API key of theirs makes it."""
    return service.auth.authenticate(service.admin.create_api_key(SYSTEM, user_id).key)


def _refused(service: NexusService, error: type[NexusError], act: Callable[[], object]) -> Event:
    def attempt() -> None:
        with pytest.raises(error):
            act()

    return _one(service, attempt)[1]


def _shown(service: NexusService, who: Principal, path: str = "/") -> list[dict[str, Any]]:
    return [event.model_dump() for event in service.activity.activity(who, path).events]


def test_each_admin_action_records_exactly_its_event(
    service: NexusService, people: dict[str, Principal]
) -> None:
    admin, alice = _keyed(service, "admin"), people["alice"]
    users, groups, sessions = service.admin, service.groups, service.sessions

    def check(
        act: Callable[[], T], action: str, details: dict[str, Any] | None = None
    ) -> tuple[T, Mapping[str, Any]]:
        """Runs ``act``; its one event must be ``action`` by the admin's key, with no path,
        and with ``details`` (None: the caller checks them against what ``act`` returned)."""
        result, event = _one(service, act)
        assert (event.action, event.outcome) == (action, "ok")
        assert (event.actor, event.key_id) == ("admin", admin.key_id)
        assert (event.path, event.target, event.entry_id, event.parent_id) == (None,) * 4
        assert details is None or event.details == details, event.details
        return result, event.details

    user = {"user": "dave"}
    check(
        lambda: users.create_user(admin, "dave", "D", "d@x.io"),
        "create_user",
        {**user, "admin": False},
    )
    check(
        lambda: users.update_user(admin, "dave", disabled=True),
        "update_user",
        {**user, "disabled": True},
    )
    check(
        lambda: users.update_user(admin, "dave", disabled=False),
        "update_user",
        {**user, "disabled": False},
    )
    check(
        lambda: users.update_user(admin, "dave", disabled=False, admin=True),
        "update_user",
        {**user, "admin": True},
    )  # only what changed
    new_key, details = check(lambda: users.create_api_key(admin, "dave", "laptop"), "create_key")
    key = {**user, "key_id": new_key.info.id, "prefix": new_key.info.prefix}
    assert details == key
    assert new_key.key not in json.dumps(details)  # never the key itself
    expiring, details = check(
        lambda: users.create_api_key(admin, "dave", expires_in=60), "create_key"
    )
    assert details["expires"] == expiring.info.expires
    check(lambda: users.list_api_keys(admin), "list_keys", {"count": 3})
    check(lambda: users.list_api_keys(admin, "dave"), "list_keys", {**user, "count": 2})
    check(lambda: users.revoke_api_key(admin, new_key.info.id), "revoke_key", key)
    check(lambda: users.list_users(admin), "list_users", {"count": 5})
    check(lambda: groups.create(admin, "ops"), "create_group", {"group": "ops"})
    groups.create(admin, "devs")
    check(lambda: groups.add_user(admin, "dave", "ops"), "add_member", {"group": "ops", **user})
    nested = {"group": "devs", "member_group": "ops"}
    check(lambda: groups.add_group(admin, "ops", "devs"), "add_member", nested)
    check(lambda: groups.remove_group(admin, "ops", "devs"), "remove_member", nested)
    check(
        lambda: groups.remove_user(admin, "dave", "ops"), "remove_member", {"group": "ops", **user}
    )
    check(lambda: groups.delete(admin, "ops"), "delete_group", {"group": "ops"})
    session = sessions.create(alice, "alice's run")  # her own: no admin action
    check(lambda: sessions.list(admin, all_users=True), "list_sessions", {"count": 1})
    check(
        lambda: sessions.delete(admin, session.id),
        "delete_session",
        {"session": session.id, "user": "alice"},
    )
    swept, details = check(lambda: service.maintenance.collect_garbage(admin), "collect_garbage")
    assert details == swept.model_dump()
    page, _ = check(
        lambda: service.activity.audit(admin, action="create_user"),
        "audit",
        {"action": "create_user", "count": 5},
    )
    assert {e.details["user"] for e in page.events} == {"admin", "alice", "bob", "carol", "dave"}
    check(lambda: users.delete_user(admin, "dave"), "delete_user", user)
    # Breaking a lock is the file's `unlock` event, filed under its path like every lock event.
    service.files.write(alice, "/workspace/held.txt", b"x")
    service.locks.lock(alice, "/workspace/held.txt", 60)
    _, event = _one(service, lambda: service.locks.unlock(admin, "/workspace/held.txt", None))
    assert (event.action, event.path, event.actor, event.key_id, event.details) == (
        "unlock",
        "/workspace/held.txt",
        "admin",
        admin.key_id,
        {"holder": "alice", "broken": True},
    )


def test_what_changes_nothing_or_is_no_admin_power_records_nothing(
    service: NexusService, people: dict[str, Principal]
) -> None:
    admin, alice = people["admin"], people["alice"]
    service.admin.update_user(admin, "bob", disabled=True)
    key = service.admin.create_api_key(admin, "alice").info
    service.admin.revoke_api_key(admin, key.id)
    service.groups.create(alice, "team")
    service.groups.add_user(alice, "bob", "team")
    service.sessions.create(alice, "mine")
    last = _last_id(service)
    service.admin.update_user(admin, "bob", disabled=True)  # disabled already
    service.admin.update_user(admin, "bob")  # nothing asked
    service.admin.revoke_api_key(admin, key.id)  # revoked already
    service.groups.add_user(alice, "bob", "team")  # a member already
    service.admin.list_api_keys(alice)  # anyone's own keys, own sessions: no admin power
    service.admin.list_api_keys(admin, "admin")
    service.sessions.list(alice)
    service.sessions.list(admin)
    assert _log(service, last) == []


def test_failed_admin_changes_leave_no_ok_event(
    service: NexusService, people: dict[str, Principal]
) -> None:
    admin = people["admin"]
    service.groups.create(admin, "ops")
    refusals: list[tuple[type[NexusError], Callable[[], object]]] = [
        (NexusFileExistsError, lambda: service.admin.create_user(admin, "alice", "A", "a@x.io")),
        (NexusValidationError, lambda: service.admin.create_user(admin, "bad id", "B", "b@x.io")),
        (NexusValidationError, lambda: service.admin.update_user(admin, "admin", admin=False)),
        (NexusValidationError, lambda: service.admin.delete_user(admin, "admin")),
        (NexusFileExistsError, lambda: service.groups.create(admin, "ops")),
        (NexusValidationError, lambda: service.groups.add_user(admin, "nobody", "ops")),
        (NexusValidationError, lambda: service.groups.add_group(admin, "ops", "ops")),
    ]
    last = _last_id(service)
    for error, act in refusals:
        with pytest.raises(error):
            act()
    assert _log(service, last) == []  # not attempts on anyone's data: nothing at all
    # Unknown subjects are refused as not found, recorded as such, and change nothing.
    missing: list[tuple[str, dict[str, Any], Callable[[], object]]] = [
        (
            "revoke_key",
            {"key_id": "key_0123456789abcdef", "code": "key_not_found"},
            lambda: service.admin.revoke_api_key(admin, "key_0123456789abcdef"),
        ),
        (
            "delete_user",
            {"user": "nobody", "code": "user_not_found"},
            lambda: service.admin.delete_user(admin, "nobody"),
        ),
        (
            "update_user",
            {"user": "nobody", "code": "user_not_found"},
            lambda: service.admin.update_user(admin, "nobody", disabled=True),
        ),
        (
            "create_key",
            {"user": "nobody", "code": "user_not_found"},
            lambda: service.admin.create_api_key(admin, "nobody"),
        ),
        (
            "delete_group",
            {"group": "nope", "code": "group_not_found"},
            lambda: service.groups.delete(admin, "nope"),
        ),
        (
            "remove_member",
            {"group": "ops", "user": "carol", "code": "relationship_not_found"},
            lambda: service.groups.remove_user(admin, "carol", "ops"),
        ),
        (
            "delete_session",
            {"session": "s-none", "code": "session_not_found"},
            lambda: service.sessions.delete(admin, "s-none"),
        ),
    ]
    for action, details, act in missing:
        event = _refused(service, NexusFileNotFoundError, act)
        assert (event.action, event.outcome, event.details) == (action, "not_found", details)


def test_an_admin_change_and_its_event_commit_together(
    service: NexusService, people: dict[str, Principal]
) -> None:
    admin = people["admin"]
    with service.runtime.db.write() as conn:  # the log cannot take another row
        conn.execute(text("DROP TABLE activity"))
    changes: list[Callable[[], object]] = [
        lambda: service.admin.create_user(admin, "erin", "Erin", "e@example.com"),
        lambda: service.admin.update_user(admin, "bob", disabled=True),
        lambda: service.admin.delete_user(admin, "carol"),
        lambda: service.admin.create_api_key(admin, "bob"),
        lambda: service.groups.create(admin, "ops"),
    ]
    for change in changes:
        with pytest.raises(DBAPIError):
            change()
    with service.runtime.db.read() as conn:
        assert service.runtime.users.get(conn, "erin") is None
        assert service.runtime.users.get(conn, "carol") is not None
        bob = service.runtime.users.get(conn, "bob")
        assert bob is not None and not bob.disabled
        assert service.runtime.keys.list_keys(conn, "bob") == []
        assert service.runtime.groups.get(conn, "ops") is None
    # A read that cannot leave its event gives no answer.
    for read in (
        lambda: service.admin.list_users(admin),
        lambda: service.admin.list_api_keys(admin),
        lambda: service.sessions.list(admin, all_users=True),
    ):
        with pytest.raises(DBAPIError):
            read()


def test_refused_admin_attempts_are_denied_and_shown_only_to_who_tried(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = _keyed(service, "alice"), _keyed(service, "bob")
    alice_key = service.admin.create_api_key(SYSTEM, "alice").info.id
    service.groups.create(alice, "team")
    alice_session = service.sessions.create(alice, "run").id
    attempts: list[tuple[str, str, dict[str, Any], Callable[[], object]]] = [
        (
            "create_user",
            "denied",
            {"user": "mallory"},
            lambda: service.admin.create_user(bob, "mallory", "M", "m@example.com"),
        ),
        ("list_users", "denied", {}, lambda: service.admin.list_users(bob)),
        (
            "update_user",
            "denied",
            {"user": "bob"},
            lambda: service.admin.update_user(bob, "bob", admin=True),
        ),
        (
            "delete_user",
            "denied",
            {"user": "alice"},
            lambda: service.admin.delete_user(bob, "alice"),
        ),
        ("create_key", "denied", {"user": "bob"}, lambda: service.admin.create_api_key(bob, "bob")),
        (
            "list_keys",
            "denied",
            {"user": "alice"},
            lambda: service.admin.list_api_keys(bob, "alice"),
        ),
        ("list_sessions", "denied", {}, lambda: service.sessions.list(bob, all_users=True)),
        ("collect_garbage", "denied", {}, lambda: service.maintenance.collect_garbage(bob)),
        ("audit", "denied", {}, lambda: service.activity.audit(bob, action="create_user")),
        ("delete_group", "denied", {"group": "team"}, lambda: service.groups.delete(bob, "team")),
        (
            "add_member",
            "denied",
            {"group": "team", "user": "bob"},
            lambda: service.groups.add_user(bob, "bob", "team"),
        ),
        # Someone else's key or session answers like a missing one (ids are no oracle).
        (
            "revoke_key",
            "not_found",
            {"key_id": alice_key, "code": "key_not_found"},
            lambda: service.admin.revoke_api_key(bob, alice_key),
        ),
        (
            "delete_session",
            "not_found",
            {"session": alice_session, "code": "session_not_found"},
            lambda: service.sessions.delete(bob, alice_session),
        ),
    ]
    for action, outcome, details, act in attempts:
        error = NexusPermissionError if outcome == "denied" else NexusFileNotFoundError
        event = _refused(service, error, act)
        assert (event.action, event.outcome, event.details) == (action, outcome, details)
        assert (event.actor, event.key_id, event.path) == ("bob", bob.key_id, None)
    expected = [(action, outcome) for action, outcome, _d, _a in reversed(attempts)]
    audited = service.activity.audit(people["admin"], user="bob").events
    assert [(e.action, e.outcome) for e in audited] == expected
    # Bob sees exactly his own attempts (with his key), nothing of Alice's admin actions...
    seen_by_bob = _shown(service, bob)
    assert [(e["action"], e["outcome"]) for e in seen_by_bob] == expected
    assert all(e["actor"] == "bob" and e["key_id"] == bob.key_id for e in seen_by_bob)
    assert _shown(service, bob, "/workspace") == []  # they name no path
    # ...and Alice sees none of his, nor the socket admin's: only her own group's creation.
    assert [(e["actor"], e["action"]) for e in _shown(service, alice)] == [
        ("alice", "create_group")
    ]


def test_own_admin_events_only_and_none_of_a_deleted_account(
    service: NexusService, people: dict[str, Principal]
) -> None:
    admin, bob, carol = people["admin"], _keyed(service, "bob"), people["carol"]
    spare = service.admin.create_api_key(SYSTEM, "bob").info
    service.groups.create(bob, "bobs")
    service.groups.add_user(bob, "carol", "bobs")
    service.admin.revoke_api_key(bob, spare.id)
    with pytest.raises(NexusPermissionError):
        service.admin.list_users(bob)
    assert [(e["action"], e["outcome"], e["details"]) for e in _shown(service, bob)] == [
        ("list_users", "denied", {}),
        ("revoke_key", "ok", {"user": "bob", "key_id": spare.id, "prefix": spare.prefix}),
        ("add_member", "ok", {"group": "bobs", "user": "carol"}),
        ("create_group", "ok", {"group": "bobs"}),
    ]
    assert _shown(service, carol) == []  # carol is the subject, not the actor
    # A re-created id starts with none of the old account's events.
    service.admin.delete_user(admin, "bob")
    service.admin.create_user(admin, "bob", "Bob Again", "bob2@example.com")
    assert _shown(service, _keyed(service, "bob")) == []
    assert service.activity.audit(admin, user="bob", action="create_group").events


def test_socket_admin_is_system_and_audit_filters_admin_events(
    service: NexusService, people: dict[str, Principal]
) -> None:
    admin, bob = people["admin"], people["bob"]
    start = iso(service.runtime.now())
    _, event = _one(service, lambda: service.admin.create_user(SYSTEM, "dave", "D", "d@x.io"))
    assert (event.actor, event.key_id) == ("system", None)
    assert event.details == {"user": "dave", "admin": False}
    with pytest.raises(NexusPermissionError):
        service.admin.list_users(bob)

    def found(**filters: Any) -> list[tuple[str, str, str]]:
        page = service.activity.audit(admin, **filters)
        return [(e.actor, e.action, e.details.get("user", "")) for e in page.events]

    created = found(action="create_user")
    team = ("dave", "carol", "bob", "alice", "admin")  # newest first
    assert created == [("system", "create_user", user_id) for user_id in team]
    assert found(action="create_user", since=start) == [("system", "create_user", "dave")]
    assert found(action="create_user", until=start) == created[1:]
    assert found(action="create_user", path="/") == created  # '/' is the whole log
    assert found(action="create_user", path="/workspace") == []  # admin events have no path
    assert found(user="bob", outcome="denied") == [("bob", "list_users", "")]
    assert found(user="system", action="list_users") == []
    # The looks at the log are themselves in it, newest first, with what they asked.
    looks = service.activity.audit(admin, action="audit", limit=2).events
    assert [e.details for e in looks] == [
        {"action": "list_users", "user": "system", "count": 0},
        {"user": "bob", "outcome": "denied", "count": 1},
    ]
