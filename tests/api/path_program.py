"""What the path fuzz does with one input: every path-taking call of the client interface.

An input the rules refuse must make every call raise NexusValidationError ``invalid_path``
and leave the store as it was. An accepted one below the example's folder goes through the
whole life of a file and of a directory at that path (write, read back, list, versions,
locks, grants, lookups, activity, move and copy there and back, delete), each answer naming
the canonical path; an accepted one elsewhere (not ours to change) gets the read-only calls,
none of which may call it invalid.
"""

from __future__ import annotations

import inspect
import io
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from nexus import NexusError, NexusValidationError
from nexus.client.interface import NexusClient
from tests.support.path_inputs import canonical, name_of, parent_of

# The parameters through which a client method takes a path (or relationships naming one).
PATH_PARAMETERS = {"path", "src", "dst", "object_id", "under", "checks", "relationships"}
DATA, MORE = b"\x00first\xff\n", b"more"
FAKE_TOKEN = "nxl_not-a-token"


def path_taking_methods() -> set[str]:
    """Every public method of the client interface with a path-like parameter."""
    return {
        name
        for name, function in inspect.getmembers(NexusClient, inspect.isfunction)
        if not name.startswith("_")
        and PATH_PARAMETERS & set(inspect.signature(function).parameters)
    }


class Recording:
    """A client that notes which methods were called with the fuzzed input."""

    def __init__(self, client: NexusClient, seen: set[str], given: list[str]):
        self._client, self._seen, self._given = client, seen, given

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._given and _mentions(self._given[0], [*args, *kwargs.values()]):
                self._seen.add(name)
            return method(*args, **kwargs)

        return call


def _mentions(given: str, values: Iterable[Any]) -> bool:
    for value in values:
        if value == given:
            return True
        if isinstance(value, list | tuple) and _mentions(given, value):
            return True
        if isinstance(value, dict) and _mentions(given, value.values()):
            return True
    return False


@dataclass
class Actors:
    """alice owns ``base`` (empty: the input's playground) and ``aside`` (holds spare.txt)."""

    alice: NexusClient
    bob: NexusClient
    admin: NexusClient
    system: NexusClient
    base: str
    aside: str

    @property
    def spare(self) -> str:
        return self.aside + "/spare.txt"


def snapshot(actors: Actors) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Everything in the store that a refused call could have left half made."""
    tree = [
        (e["path"], e["type"], e["version"], e["size"], e["restricted"])
        for e in actors.system.list_files("/", recursive=True)
    ]
    grants = sorted(
        (r["object_id"], r["relation"], r["subject_type"], r["subject_id"])
        for r in actors.system.list_permissions()
    )
    return tree, grants


def _relationship(path: str) -> dict[str, str]:
    return {
        "subject_type": "user",
        "subject_id": "bob",
        "relation": "can_read",
        "object_type": "file",
        "object_id": path,
    }


def calls(actors: Actors, given: str) -> list[tuple[str, Callable[[], object]]]:
    """One call per way of handing ``given`` to a path-taking method (alice's; audit is
    the admin's), every other argument valid."""
    alice, rel = actors.alice, _relationship(given)
    grant = ("user", "bob", "file", given, "can_read")
    return [
        ("write", lambda: alice.write(given, DATA)),
        ("append", lambda: alice.append(given, DATA)),
        ("read", lambda: alice.read(given)),
        ("read a version", lambda: alice.read(given, version=1)),
        ("read a range", lambda: alice.read(given, offset=1, length=2)),
        ("read_to", lambda: alice.read_to(given, io.BytesIO())),
        ("read_with_metadata", lambda: alice.read_with_metadata(given)),
        ("exists", lambda: alice.exists(given)),
        ("stat", lambda: alice.stat(given)),
        ("list_files", lambda: alice.list_files(given)),
        ("list_files recursive", lambda: alice.list_files(given, recursive=True)),
        ("mkdir", lambda: alice.mkdir(given)),
        ("delete", lambda: alice.delete(given)),
        ("delete recursive", lambda: alice.delete(given, recursive=True)),
        ("move from", lambda: alice.move(given, actors.aside + "/moved")),
        ("move to", lambda: alice.move(actors.spare, given)),
        ("copy from", lambda: alice.copy(given, actors.aside + "/copied")),
        ("copy to", lambda: alice.copy(actors.spare, given)),
        ("set_restricted", lambda: alice.set_restricted(given)),
        ("list_versions", lambda: alice.list_versions(given)),
        ("restore_version", lambda: alice.restore_version(given, 1)),
        ("lock", lambda: alice.lock(given, 60)),
        ("lock_record", lambda: alice.lock_record(given, 60)),
        ("unlock", lambda: alice.unlock(given, FAKE_TOKEN)),
        ("extend_lock", lambda: alice.extend_lock(given, FAKE_TOKEN, 60)),
        ("lock_info", lambda: alice.lock_info(given)),
        ("grant_permission", lambda: alice.grant_permission(*grant)),
        ("revoke_permission", lambda: alice.revoke_permission(*grant)),
        ("check_permission", lambda: alice.check_permission(*grant)),
        ("check_permission_record", lambda: alice.check_permission_record(*grant)),
        ("explain_permission", lambda: alice.explain_permission(*grant)),
        ("list_permissions", lambda: alice.list_permissions("file", given)),
        ("read_relationships", lambda: alice.read_relationships("file", given)),
        ("check_permissions", lambda: alice.check_permissions([rel])),
        ("check_permissions_record", lambda: alice.check_permissions_record([rel])),
        ("write_relationships", lambda: alice.write_relationships([rel])),
        ("delete_relationships", lambda: alice.delete_relationships(object_id=given)),
        ("list_objects", lambda: alice.list_objects("can_read", given)),
        ("list_objects_record", lambda: alice.list_objects_record("can_read", given)),
        ("list_subjects", lambda: alice.list_subjects(given, "can_read")),
        ("list_subjects_record", lambda: alice.list_subjects_record(given, "can_read")),
        ("expand_permission", lambda: alice.expand_permission(given, "can_read")),
        ("expand_permission_record", lambda: alice.expand_permission_record(given, "can_read")),
        ("activity", lambda: alice.activity(given)),
        ("audit", lambda: actors.admin.audit(path=given)),
    ]


READ_ONLY = {
    "read",
    "read a version",
    "read a range",
    "read_to",
    "read_with_metadata",
    "exists",
    "stat",
    "list_files",
    "list_files recursive",
    "list_versions",
    "lock_info",
    "check_permission",
    "check_permission_record",
    "explain_permission",
    "list_permissions",
    "read_relationships",
    "check_permissions",
    "check_permissions_record",
    "list_objects",
    "list_objects_record",
    "list_subjects",
    "list_subjects_record",
    "expand_permission",
    "expand_permission_record",
    "activity",
    "audit",
}


def _failures(labelled: list[tuple[str, Callable[[], object]]], *, must_refuse: bool) -> list[str]:
    """Each call that answered wrongly: ``must_refuse``, anything but ``invalid_path``;
    else an ``invalid_path`` (other errors, such as permission, are the input's due)."""
    wrong = []
    for label, call in labelled:
        try:
            call()
        except NexusValidationError as error:
            if (error.detail_code == "invalid_path") != must_refuse:
                wrong.append(f"{label}: {error.detail_code}: {error}")
        except NexusError as error:
            if must_refuse:
                wrong.append(f"{label}: {type(error).__name__} ({error.detail_code}): {error}")
        else:
            if must_refuse:
                wrong.append(f"{label}: accepted")
    return wrong


def refused(actors: Actors, given: str, *, only: set[str] | None = None) -> None:
    """Every call (or those in ``only``) refuses ``given`` as invalid_path; nothing changes."""
    before = snapshot(actors)
    labelled = [item for item in calls(actors, given) if only is None or item[0] in only]
    wrong = _failures(labelled, must_refuse=True)
    assert not wrong, f"{given!r}:\n" + "\n".join(wrong)
    assert snapshot(actors) == before, f"{given!r} left something behind"


def elsewhere(actors: Actors, given: str) -> None:
    """A valid path not below ``base``: the read-only calls never call it invalid."""
    before = snapshot(actors)
    labelled = [item for item in calls(actors, given) if item[0] in READ_ONLY]
    wrong = _failures(labelled, must_refuse=False)
    assert not wrong, f"{given!r}:\n" + "\n".join(wrong)
    assert snapshot(actors) == before


def _below(actors: Actors, path: str) -> list[str]:
    return sorted(e["path"] for e in actors.alice.list_files(actors.base, recursive=True))


def _made(actors: Actors, path: str) -> list[str]:
    """The entries that writing or making ``path`` creates below ``base``."""
    names = path[len(actors.base) + 1 :].split("/")
    return sorted(actors.base + "/" + "/".join(names[: index + 1]) for index in range(len(names)))


def _listed_once(actors: Actors, path: str, kind: str) -> None:
    entries = [e for e in actors.alice.list_files(parent_of(path)) if e["name"] == name_of(path)]
    assert [(e["path"], e["type"]) for e in entries] == [(path, kind)]
    assert _below(actors, path) == _made(actors, path)


def _events_at(page: dict[str, Any], path: str) -> set[str]:
    """The actions of the events, all of which must be at or below ``path``."""
    for event in page["events"]:
        named = [value for value in (event["path"], event["target"]) if value]
        assert any(value == path or value.startswith(path + "/") for value in named), event
    return {event["action"] for event in page["events"]}


def file_life(actors: Actors, given: str, path: str) -> None:
    """``given`` (canonical ``path``, below base) as a file, through every call."""
    alice, bob = actors.alice, actors.bob
    info = alice.write(given, DATA)
    assert (info["path"], info["name"], info["version"]) == (path, name_of(path), 1)
    assert alice.read(given) == DATA and alice.read(path) == DATA
    nfd = unicodedata.normalize("NFD", path)
    if canonical(nfd) == path:
        assert alice.read(nfd) == DATA  # another spelling, the same file
    assert alice.read(given, offset=1, length=5) == DATA[1:6]
    sink = io.BytesIO()
    assert alice.read_to(given, sink) == len(DATA) and sink.getvalue() == DATA
    assert alice.read_with_metadata(given)["metadata"]["path"] == path
    assert alice.stat(given)["path"] == path and alice.exists(given)
    _listed_once(actors, path, "file")

    assert alice.append(given, MORE)["version"] == 2
    assert [v["version"] for v in alice.list_versions(given)] == [2, 1]
    assert alice.read(given, version=1) == DATA
    assert alice.restore_version(given, 1)["version"] == 3

    token = alice.lock(given, 60)
    held = alice.lock_info(given)
    assert (held["path"], held["locked"], held["holder"]) == (path, True, "alice")
    assert alice.extend_lock(given, token, 60)["path"] == path
    alice.unlock(given, token)
    record = alice.lock_record(given, 60)
    assert record["path"] == path
    alice.unlock(given, record["token"])

    grant = ("user", "bob", "file", given, "can_read")
    assert alice.grant_permission(*grant)["created"] is True
    assert bob.read(path) == DATA  # the grant is on the entry, whatever the spelling
    assert alice.check_permission(*grant) and alice.check_permission_record(*grant)["allowed"]
    assert alice.explain_permission(*grant)["allowed"] is True
    rel = _relationship(given)
    assert alice.check_permissions([rel]) == [True]
    assert alice.check_permissions_record([rel])["results"] == [True]
    on_path = {(r["object_id"], r["subject_id"]) for r in alice.list_permissions("file", given)}
    assert on_path == {(path, "alice"), (path, "bob")}
    assert alice.read_relationships("file", given) == alice.list_permissions("file", path)
    bob_as_subject = {"subject_type": "user", "subject_id": "bob"}
    assert bob_as_subject in alice.list_subjects(given, "can_read")
    assert bob_as_subject in alice.list_subjects_record(given, "can_read")["subjects"]
    assert alice.expand_permission(given, "can_read")["object_id"] == path
    assert alice.expand_permission_record(given, "can_read")["tree"]["object_id"] == path
    assert alice.list_objects("owner", given) == [path]
    assert alice.list_objects_record("can_read", given)["paths"] == [path]
    assert alice.revoke_permission(*grant)["deleted"] is True
    assert bob.exists(path) is False
    assert alice.write_relationships([rel])["written"] == 1
    deleted = alice.delete_relationships(object_id=given, relation="can_read")
    assert deleted["deleted"] == 1 and bob.exists(path) is False

    assert {"write", "append", "restore", "lock", "grant"} <= _events_at(
        alice.activity(given), path
    )
    assert "write" in _events_at(actors.admin.audit(path=given), path)

    moved = actors.aside + "/moved"
    assert alice.move(given, moved)["path"] == moved and not alice.exists(given)
    assert alice.move(moved, given)["path"] == path and alice.read(given) == DATA
    assert alice.copy(given, actors.aside + "/copied")["path"] == actors.aside + "/copied"
    alice.delete(given)
    assert alice.exists(given) is False
    assert name_of(path) not in {e["name"] for e in alice.list_files(parent_of(path))}
    assert alice.copy(actors.aside + "/copied", given)["path"] == path
    assert alice.read(given) == DATA
    alice.delete(given)
    alice.delete(actors.aside + "/copied")


def directory_life(actors: Actors, given: str, path: str) -> None:
    """``given`` (canonical ``path``, below base) as a directory."""
    alice = actors.alice
    info = alice.mkdir(given)
    assert (info["path"], info["type"]) == (path, "directory")
    assert alice.stat(given)["type"] == "directory" and alice.exists(given)
    assert alice.list_files(given) == [] and alice.list_files(given, recursive=True) == []
    _listed_once(actors, path, "directory")
    assert alice.set_restricted(given)["restricted"] is True
    assert alice.set_restricted(given, False)["restricted"] is False
    assert alice.list_objects("owner", given) == [path]
    alice.delete(given, recursive=True)
    assert alice.exists(given) is False


def quick_life(actors: Actors, given: str, path: str, *, file: bool) -> None:
    """The round trip alone: made, read back, listed once, granted, gone."""
    alice = actors.alice
    if file:
        assert alice.write(given, DATA)["path"] == path
        assert alice.read(given) == DATA and alice.read(path) == DATA
    else:
        assert alice.mkdir(given)["path"] == path
    assert alice.stat(given)["path"] == path and alice.exists(given)
    _listed_once(actors, path, "file" if file else "directory")
    alice.grant_permission("user", "bob", "file", given, "can_read")
    assert actors.bob.stat(path)["path"] == path
    alice.delete(given, recursive=not file)
    assert alice.exists(path) is False


def run(actors: Actors, given: str, *, whole: bool = True) -> None:
    """The program for one raw input: every call (``whole``) or the round trip alone."""
    as_directory, as_file = canonical(given), canonical(given, file=True)
    if as_directory is None:
        refused(actors, given)
        return
    if not as_directory.startswith(actors.base + "/"):
        elsewhere(actors, given)
        return
    before = snapshot(actors)
    if as_file is None:
        refused(actors, given, only={"write", "append"})
    elif whole:
        file_life(actors, given, as_file)
    else:
        quick_life(actors, given, as_file, file=True)
    if whole:
        directory_life(actors, given, as_directory)
    elif as_file is None:
        quick_life(actors, given, as_directory, file=False)
    # The folders made on the way stay (as mkdir -p leaves them) until removed.
    top = actors.base + "/" + as_directory[len(actors.base) + 1 :].split("/")[0]
    if top != as_directory:
        actors.alice.delete(top, recursive=True)
    assert snapshot(actors) == before
