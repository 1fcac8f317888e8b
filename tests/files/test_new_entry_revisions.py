"""Making entries leaves the permission revision alone (their owner tuples sit on new ids),
and yet every check sees them at once; a creation that rolls back leaves nothing cached."""

from __future__ import annotations

import pytest

from nexus.authz import Relationship
from nexus.files import NexusService, Principal
from nexus.files.runtime import file_ref, user_ref
from nexus.metadata import FILE


def _revision(service: NexusService) -> int:
    with service.runtime.db.read() as conn:
        return service.runtime.engine.revision(conn)


def _can(service: NexusService, who: Principal, relation: str, path: str) -> bool:
    return service.permissions.check(who, "user", who.user_id, "file", path, relation).allowed


def test_making_files_keeps_the_revision_and_every_check_sees_them(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = people["alice"], people["bob"]
    service.files.write(alice, "/workspace/team/plan.md", b"v1")
    assert _can(service, bob, "can_read", "/workspace/team") is False  # warms the caches
    before = _revision(service)
    for number in range(5):
        service.files.write(alice, f"/workspace/team/deep/n{number}/notes.md", b"x")
    service.files.mkdir(alice, "/workspace/team/empty")
    service.copies.copy(alice, "/workspace/team/plan.md", "/workspace/team/plan-copy.md")
    assert _revision(service) == before
    # The new entries are alice's at once, and nobody else's, through warm caches too.
    for path in ("/workspace/team/deep/n4/notes.md", "/workspace/team/plan-copy.md"):
        assert _can(service, alice, "owner", path) is True
        assert _can(service, bob, "can_read", path) is False
    assert service.files.read(alice, "/workspace/team/deep/n4/notes.md")[0] == b"x"
    # A grant is a relationship write: it moves the revision and reaches the new entries.
    service.permissions.grant(alice, "user", "bob", "file", "/workspace/team", "can_read")
    assert _revision(service) > before
    assert _can(service, bob, "can_read", "/workspace/team/deep/n4/notes.md") is True


def test_a_creation_that_rolls_back_leaves_nothing_cached(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = people["alice"], people["bob"]
    runtime = service.runtime
    service.files.write(alice, "/workspace/a.txt", b"a")
    workspace = service.files.stat(alice, "/workspace")
    with runtime.db.read() as conn:
        workspace_id = runtime.tree.resolve(conn, "/workspace")[-1].id

    class Abandoned(Exception):
        pass

    made_id = None
    with pytest.raises(Abandoned), runtime.db.write() as conn:
        made = runtime.tree.create(
            conn, parent_id=workspace_id, name="gone.txt", kind=FILE, owner="alice", now=1.0
        )
        made_id = made.id
        owner = Relationship(file_ref(made.id), "owner", user_ref("alice"), 1.0)
        runtime.engine.write_on_new_object(conn, owner)
        # A check inside the transaction sees the tuple, but must not cache it.
        assert runtime.engine.check(conn, user_ref("alice"), "owner", file_ref(made.id))
        raise Abandoned
    # SQLite hands the rolled-back id out again: the new entry is bob's, not alice's.
    service.files.write(bob, "/workspace/bobs.txt", b"b")
    with runtime.db.read() as conn:
        bobs = runtime.tree.resolve(conn, "/workspace/bobs.txt")[-1]
        if runtime.db.dialect == "sqlite":
            assert bobs.id == made_id
        assert not runtime.engine.check(conn, user_ref("alice"), "owner", file_ref(bobs.id))
    assert _can(service, alice, "can_read", "/workspace/bobs.txt") is False
    assert workspace["path"] == "/workspace"
