"""Two `nexus serve` processes on one database: a request sees every grant and revoke
committed before it, whichever process made it; caches only serve answers computed at the
current revision.

Servers A and B share the data dir and the database (SQLite in the data dir, or a PostgreSQL
database), see tests/support/server_pair.py. Every change is made through one server and
checked by the *very next* request on the other one (and on the same one), after both have
warmed their caches with the opposite answer, so a cache that outlives a write is caught.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest

from nexus.authz import ObjectRef, SubjectRef
from nexus.config import ServerSettings
from nexus.files import SYSTEM, NexusService, open_service
from nexus.files.runtime import file_ref, user_ref
from tests.support.postgres import backend_database
from tests.support.server_pair import ServerPair, UserApi
from tests.support.server_process import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BACKENDS = ["sqlite", "postgresql"]
SERVERS = ("a", "b")
USERS = ("admin", "alice", "bob", "carol")  # admin first: the first user is an admin
CONTENT = b"quarterly numbers\n"
ALTERNATIONS = 30
WARM_ROUNDS = 3


def other(server: str) -> str:
    return "b" if server == "a" else "a"


@dataclass
class Cluster:
    backend: str
    pair: ServerPair
    keys: dict[str, str] = field(default_factory=dict)
    _apis: dict[tuple[str, str], UserApi] = field(default_factory=dict)

    def process(self, server: str) -> ServerProcess:
        return self.pair.a if server == "a" else self.pair.b

    def user(self, user_id: str, server: str) -> UserApi:
        """``user_id`` calling server ``server`` ("a" or "b") with its API key."""
        if (user_id, server) not in self._apis:
            self._apis[(user_id, server)] = self.key(self.keys[user_id], server, user_id)
        return self._apis[(user_id, server)]

    def key(self, api_key: str, server: str, user_id: str) -> UserApi:
        return self.pair.as_key(self.process(server), api_key, user_id, server)

    def both(self, user_id: str) -> dict[str, UserApi]:
        return {server: self.user(user_id, server) for server in SERVERS}


@pytest.fixture(scope="module", params=BACKENDS)
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    backend = str(request.param)
    tmp = tmp_path_factory.mktemp(f"two-servers-{backend}")
    with backend_database(backend) as db_url:
        pair = ServerPair(tmp / "data", db_url=db_url).start()
        try:
            cluster = Cluster(backend, pair)
            system = pair.local_admin(pair.a)
            for user_id in USERS:
                ok(system.create_user(user_id))
                cluster.keys[user_id] = ok(system.create_key(user_id))["key"]
            yield cluster
        finally:
            pair.stop()


# --- assertions ------------------------------------------------------------------------------


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, (
        f"{response.request.method} {response.request.url}: {response.status_code} {response.text}"
    )
    return response.json() if response.headers.get("content-type") == "application/json" else None


def revision_of(response: httpx.Response) -> int:
    revision = ok(response)["revision"]
    assert isinstance(revision, int)
    return revision


def check(api: UserApi, subject: str, relation: str, path: str, *, at_least: int = 0) -> bool:
    """check_permission's answer; its revision, when it reports one, is >= ``at_least``."""
    body = ok(api.check(subject, relation, path))
    if body.get("revision") is not None:  # servers that predate revisions send none
        assert body["revision"] >= at_least, (
            f"{api.label}: check answered at revision {body['revision']}, before the write "
            f"that returned token {at_least}"
        )
    return bool(body["allowed"])


def listed(api: UserApi, folder: str) -> set[str]:
    return {entry["path"] for entry in ok(api.listing(folder))["entries"]}


def assert_denied_status(response: httpx.Response, what: str) -> None:
    # 403 or 404 by the 403/404 rule; never 401 (the key is fine) or a 500.
    assert response.status_code in (403, 404), f"{what}: {response.status_code} {response.text}"


def assert_reads(api: UserApi, path: str, where: str, *, token: int = 0) -> None:
    """``api``'s user reads ``path``, and every way of asking says so, at >= ``token``."""
    assert access_seen(api, path, where, token) == (True, True, True, True), where


def assert_cannot_read(api: UserApi, path: str, where: str, *, token: int = 0) -> None:
    assert access_seen(api, path, where, token) == (False, False, False, False), where


def access_seen(api: UserApi, path: str, where: str, token: int) -> tuple[bool, bool, bool, bool]:
    """(read succeeds, check, check-batch, list-objects) for can_read on ``path``."""
    subject = f"user:{api.user_id}"
    where = f"{where}: {api.label} on {path}"
    response = api.read(path)
    if response.status_code == 200:
        assert response.content == CONTENT, where
    else:
        assert_denied_status(response, f"{where}: read")
    checked = check(api, subject, "can_read", path, at_least=token)
    batch = ok(api.check_batch([(subject, "can_read", path), (subject, "can_read", "/workspace")]))
    assert batch["revision"] >= token, f"{where}: check-batch at {batch['revision']} < {token}"
    found = ok(api.list_objects("can_read", "/workspace"))
    assert found["revision"] >= token, f"{where}: list-objects at {found['revision']} < {token}"
    return response.status_code == 200, checked, batch["results"][0], path in found["paths"]


# --- 1. grants and revokes -------------------------------------------------------------------


def after_change(
    bob: dict[str, UserApi], changer: str, path: str, allowed: bool, where: str, token: int = 0
) -> None:
    """Right after a change through ``changer``: the other process answers every way of
    asking (read, check, check-batch, list-objects), then the changing one answers check."""
    if allowed:
        assert_reads(bob[other(changer)], path, where, token=token)
    else:
        assert_cannot_read(bob[other(changer)], path, where, token=token)
    same = check(bob[changer], f"user:{bob[changer].user_id}", "can_read", path, at_least=token)
    assert same is allowed, f"{where}: check on {changer}, the changing process"


def test_grant_and_revoke_reach_the_other_process_at_once(cluster: Cluster) -> None:
    folder = "/workspace/p"
    doc = f"{folder}/doc.txt"
    alice, bob = cluster.both("alice"), cluster.both("bob")
    ok(alice["a"].write(doc, CONTENT))
    ok(alice["b"].grant("user:carol", "can_read", folder))  # the object has other tuples too
    for _ in range(WARM_ROUNDS):  # both servers cache "bob may not" first
        for server in SERVERS:
            assert_cannot_read(bob[server], doc, "warm-up")
            assert_denied_status(bob[server].listing(folder), "warm-up list")

    last = 0
    for i in range(ALTERNATIONS):
        # Every combination of granting and revoking server, on the folder (inherited) and
        # on the file itself (direct).
        granter, revoker = SERVERS[i % 2], SERVERS[(i // 2) % 2]
        target = doc if i % 3 == 0 else folder
        where = f"{cluster.backend} round {i}: bob's can_read on {target}"

        token = revision_of(alice[granter].grant("user:bob", "can_read", target))
        assert token > last, f"{where}: grant token {token} after {last}"
        last = token
        after_change(bob, granter, doc, True, f"{where} granted on {granter}", token)
        if target == folder:
            assert doc in listed(bob[other(granter)], folder), f"{where}: not listed"

        token = revision_of(alice[revoker].revoke("user:bob", "can_read", target))
        assert token > last, f"{where}: revoke token {token} after {last}"
        last = token
        after_change(bob, revoker, doc, False, f"{where} revoked on {revoker}", token)
        assert_denied_status(bob[other(revoker)].listing(folder), f"{where}: list after revoke")


# --- 2. groups -------------------------------------------------------------------------------


def test_group_membership_changes_reach_the_other_process_at_once(cluster: Cluster) -> None:
    folder = "/workspace/g"
    doc = f"{folder}/doc.txt"
    alice, bob = cluster.both("alice"), cluster.both("bob")
    ok(alice["a"].write(doc, CONTENT))
    ok(alice["a"].create_group("team"))
    ok(alice["a"].grant("group:team", "can_read", folder))
    for server in SERVERS:
        assert_cannot_read(bob[server], doc, "warm-up")

    for i in range(4):
        changer = SERVERS[i % 2]
        where = f"{cluster.backend} round {i}, membership changed on {changer}"
        ok(alice[changer].add_member("team", "user:bob"))
        after_change(bob, changer, doc, True, f"{where}: bob added")
        ok(alice[changer].remove_member("team", "user:bob"))
        after_change(bob, changer, doc, False, f"{where}: bob removed")


def test_nested_group_changes_reach_the_other_process_at_once(cluster: Cluster) -> None:
    folder = "/workspace/nested"
    doc = f"{folder}/doc.txt"
    alice, bob = cluster.both("alice"), cluster.both("bob")
    ok(alice["a"].write(doc, CONTENT))
    for name in ("outer", "middle", "inner"):
        ok(alice["a"].create_group(name))
    ok(alice["b"].grant("group:outer", "can_read", folder))
    ok(alice["a"].add_member("outer", "group:middle"))
    ok(alice["b"].add_member("middle", "group:inner"))
    ok(alice["a"].add_member("inner", "user:bob"))  # bob in inner in middle in outer
    for server in SERVERS:
        assert_reads(bob[server], doc, f"{cluster.backend}: bob via three groups")

    # Cut and restore each edge of the chain, through alternating servers.
    edges = [("outer", "group:middle"), ("middle", "group:inner"), ("inner", "user:bob")]
    for i, (group, member) in enumerate(edges):
        changer = SERVERS[i % 2]
        where = f"{cluster.backend}: {member} in {group}"
        ok(alice[changer].remove_member(group, member))
        after_change(bob, changer, doc, False, f"{where} removed on {changer}")
        ok(alice[other(changer)].add_member(group, member))
        after_change(bob, other(changer), doc, True, f"{where} added on {other(changer)}")

    ok(alice["a"].revoke("group:outer", "can_read", folder))
    after_change(bob, "a", doc, False, f"{cluster.backend}: outer's grant revoked on a")


# --- 3. tree changes -------------------------------------------------------------------------


def test_moves_reach_the_other_process_at_once(cluster: Cluster) -> None:
    shared, private = "/workspace/tree/shared", "/workspace/tree/private"
    alice, bob = cluster.both("alice"), cluster.both("bob")
    ok(alice["a"].write(f"{shared}/doc.txt", CONTENT))
    ok(alice["a"].write(f"{shared}/sub/deep/deep.txt", CONTENT))
    ok(alice["a"].write(f"{private}/later.txt", CONTENT))
    ok(alice["a"].grant("user:bob", "can_read", shared))
    for _ in range(WARM_ROUNDS):
        for server in SERVERS:
            assert_reads(bob[server], f"{shared}/doc.txt", "warm-up")
            assert_reads(bob[server], f"{shared}/sub/deep/deep.txt", "warm-up")
            assert_cannot_read(bob[server], f"{private}/later.txt", "warm-up")

    for mover in SERVERS:
        back = other(mover)
        where = f"{cluster.backend}, moved on {mover}, back on {back}"
        # A file moves out of the granted folder and back.
        ok(alice[mover].move(f"{shared}/doc.txt", f"{private}/doc.txt"))
        after_change(bob, mover, f"{private}/doc.txt", False, f"{where}: file out")
        ok(alice[back].move(f"{private}/doc.txt", f"{shared}/doc.txt"))
        after_change(bob, back, f"{shared}/doc.txt", True, f"{where}: file back")

        # A folder two levels above the file moves: the file's own parent stays the same.
        ok(alice[mover].move(f"{shared}/sub", f"{private}/sub"))
        after_change(bob, mover, f"{private}/sub/deep/deep.txt", False, f"{where}: folder out")
        ok(alice[back].move(f"{private}/sub", f"{shared}/sub"))
        after_change(bob, back, f"{shared}/sub/deep/deep.txt", True, f"{where}: folder back")

        # A file that was never readable moves into the granted folder, and out again.
        ok(alice[mover].move(f"{private}/later.txt", f"{shared}/later.txt"))
        after_change(bob, mover, f"{shared}/later.txt", True, f"{where}: moved in")
        assert f"{shared}/later.txt" in listed(bob[back], shared), where
        ok(alice[back].move(f"{shared}/later.txt", f"{private}/later.txt"))
        after_change(bob, back, f"{private}/later.txt", False, f"{where}: moved out")
        assert f"{shared}/later.txt" not in listed(bob[mover], shared), where


def test_new_and_deleted_files_reach_the_other_process_at_once(cluster: Cluster) -> None:
    """Files made or deleted under a granted folder: listings and lookups built from the tree
    (list-objects walks a folder's children) must not keep an old set of children."""
    folder = "/workspace/made"
    alice, bob = cluster.both("alice"), cluster.both("bob")
    ok(alice["a"].mkdir(folder))
    ok(alice["a"].grant("user:bob", "can_read", folder))
    for i, maker in enumerate(SERVERS * 2):
        path = f"{folder}/new{i}.txt"
        for server in SERVERS:  # both have just looked at the folder without the new file
            assert path not in ok(bob[server].list_objects("can_read", folder))["paths"]
        ok(alice[maker].write(path, CONTENT))
        after_change(bob, maker, path, True, f"{cluster.backend}: {path} written on {maker}")
        ok(alice[other(maker)].delete(path))
        after_change(bob, other(maker), path, False, f"{cluster.backend}: {path} deleted")


def test_restricting_a_folder_reaches_the_other_process_at_once(cluster: Cluster) -> None:
    top = "/workspace/r"
    conf = f"{top}/conf"
    doc, deep = f"{conf}/x.txt", f"{conf}/more/y.txt"
    alice, bob = cluster.both("alice"), cluster.both("bob")
    ok(alice["a"].write(doc, CONTENT))
    ok(alice["a"].write(deep, CONTENT))
    ok(alice["a"].grant("user:bob", "can_read", top))
    for _ in range(WARM_ROUNDS):
        for server in SERVERS:
            assert_reads(bob[server], doc, "warm-up")
            assert_reads(bob[server], deep, "warm-up")

    for changer in SERVERS:
        back = other(changer)
        where = f"{cluster.backend}: {conf} restricted on {changer}"
        assert ok(alice[changer].restrict(conf, True))["restricted"] is True
        after_change(bob, changer, doc, False, where)
        after_change(bob, changer, deep, False, where)
        assert conf not in listed(bob[back], top), f"{where}: still listed on {back}"
        assert ok(alice[back].restrict(conf, False))["restricted"] is False
        after_change(bob, back, doc, True, f"{where}, lifted on {back}")
        after_change(bob, back, deep, True, f"{where}, lifted on {back}")
        assert conf in listed(bob[changer], top), f"{where}: not listed on {changer}"


# --- 4. keys and users -----------------------------------------------------------------------


def test_key_revocation_expiry_and_user_changes_reach_the_other_process_at_once(
    cluster: Cluster,
) -> None:
    admin = cluster.both("admin")
    for user_id in ("dave", "erin", "frank", "gina"):
        ok(admin["a"].create_user(user_id))

    def signed_in(api_key: str, label: str) -> dict[str, UserApi]:
        apis = {server: cluster.key(api_key, server, label) for server in SERVERS}
        for _ in range(WARM_ROUNDS):
            for server in SERVERS:
                assert ok(apis[server].whoami())["user_id"] == label
        return apis

    def assert_refused(apis: dict[str, UserApi], where: str) -> None:
        for server in ("b", "a"):
            for response in (apis[server].whoami(), apis[server].listing("/workspace")):
                assert response.status_code == 401, (
                    f"{cluster.backend} {where}: {apis[server].label} got "
                    f"{response.status_code} {response.text}"
                )

    # A revoked key stops at once on the other server.
    created = ok(admin["a"].create_key("dave"))
    dave = signed_in(created["key"], "dave")
    ok(admin["a"].revoke_key(created["info"]["id"]))
    assert_refused(dave, "dave's key revoked on a")

    # Disabling and enabling a user, alternating servers.
    erin = signed_in(ok(admin["a"].create_key("erin"))["key"], "erin")
    for i in range(4):
        changer = SERVERS[i % 2]
        assert ok(admin[changer].set_disabled("erin", True))["disabled"] is True
        assert_refused(erin, f"erin disabled on {changer}")
        assert ok(admin[other(changer)].set_disabled("erin", False))["disabled"] is False
        for server in (changer, other(changer)):
            assert ok(erin[server].whoami())["user_id"] == "erin"

    # A deleted user's key stops at once.
    gina = signed_in(ok(admin["b"].create_key("gina"))["key"], "gina")
    ok(admin["a"].delete_user("gina"))
    assert_refused(gina, "gina deleted on a")

    # A key expiring in 1 s works on both servers until then, on neither after.
    created = ok(admin["b"].create_key("frank", expires_in=1))
    deadline = time.time() + 1  # no earlier than the server's expiry
    frank = {server: cluster.key(created["key"], server, "frank") for server in SERVERS}
    for server in SERVERS:
        response = frank[server].whoami()
        if time.time() < deadline - 0.2:  # answered well before the expiry (if not too slow)
            assert ok(response)["user_id"] == "frank"
    time.sleep(max(0.0, deadline - time.time()) + 0.1)
    assert_refused(frank, "frank's key expired")

    # An admin demoted on one server has no admin power on either at its next request.
    ok(admin["a"].http.post("/admin/users", json={**NEW_ADMIN, "id": "hal"}))
    hal = signed_in(ok(admin["a"].create_key("hal"))["key"], "hal")
    for server in SERVERS:
        ok(hal[server].http.get("/admin/users"))
    ok(admin["b"].http.patch("/admin/users/hal", json={"admin": False}))
    for server in ("a", "b"):
        refused = hal[server].http.get("/admin/users")
        assert refused.status_code == 403, f"{cluster.backend}: demoted hal on {server}: {refused}"


NEW_ADMIN = {"name": "An Admin", "email": "admin2@example.com", "admin": True}


def test_a_recreated_user_inherits_nothing_on_either_process(cluster: Cluster) -> None:
    """Delete an account through one server and create it again through the other: the new
    account has none of the old one's grants (direct, through a group, through nested
    groups), group management, keys, sessions, inbox or locks, on either server, though both
    servers' caches held the old account's answers."""
    admin, alice = cluster.both("admin"), cluster.both("alice")
    ok(admin["a"].create_user("henry"))
    old = {
        server: cluster.key(ok(admin["a"].create_key("henry"))["key"], server, "henry")
        for server in SERVERS
    }
    base = "/workspace/henry-era"
    docs = {how: f"{base}/{how}/doc.txt" for how in ("direct", "group", "nested")}
    for doc in docs.values():
        ok(alice["a"].write(doc, CONTENT))
    ok(alice["a"].grant("user:henry", "can_write", f"{base}/direct"))
    ok(alice["a"].create_group("henry-crew"))
    ok(alice["a"].add_member("henry-crew", "user:henry"))
    ok(alice["a"].grant("group:henry-crew", "can_read", f"{base}/group"))
    ok(alice["b"].create_group("henry-outer"))
    ok(alice["b"].add_member("henry-outer", "group:henry-crew"))
    ok(alice["b"].grant("group:henry-outer", "can_read", f"{base}/nested"))
    ok(old["a"].create_group("henry-own"))  # henry manages it
    session = ok(old["b"].http.post("/sessions", json={"name": "henry-notes"}))
    ok(old["b"].write(f"{session['path']}/notes.md", CONTENT))
    ok(alice["a"].write("/workspace/.notifications/henry/hello.json", b"{}"))
    ok(old["a"].http.post("/locks", json={"path": docs["direct"], "ttl": 3600}))
    for server in SERVERS:  # both processes answer (and cache) the old account's access
        for doc in docs.values():
            assert_reads(old[server], doc, f"{cluster.backend}: old henry on {server}")

    ok(admin["a"].delete_user("henry"))
    ok(admin["b"].create_user("henry"))
    new_key = ok(admin["b"].create_key("henry"))["key"]
    for server in SERVERS:
        where = f"{cluster.backend}: new henry on {server}"
        new = cluster.key(new_key, server, "henry")
        assert old[server].whoami().status_code == 401, where
        for doc in docs.values():
            assert_cannot_read(new, doc, where)
            assert_denied_status(new.write(doc, b"x"), f"{where}: write {doc}")
        assert ok(new.http.get("/permissions"))["permissions"] == [], where
        assert ok(new.http.get("/sessions"))["sessions"] == [], where
        assert_denied_status(new.listing(session["path"]), f"{where}: old session")
        assert_denied_status(new.listing("/workspace/.notifications/henry"), f"{where}: inbox")
        assert new.add_member("henry-own", "user:carol").status_code == 403, where
        for group in ok(new.http.get("/groups"))["groups"]:
            assert "user:henry" not in group["members"], (where, group)
        lock = ok(alice[server].http.get("/locks", params={"path": docs["direct"]}))
        assert lock["locked"] is False, where
    ok(alice["b"].write(docs["direct"], b"the old lock died with its holder"))
    # The new henry's inbox holds what is sent to him now, and nothing sent to the old one.
    ok(alice["b"].write("/workspace/.notifications/henry/welcome.json", b"{}"))
    inbox = ok(cluster.key(new_key, "a", "henry").listing("/workspace/.notifications/henry"))
    assert [entry["name"] for entry in inbox["entries"]] == ["welcome.json"]


# --- 5. revision tokens ----------------------------------------------------------------------


def test_revision_tokens_increase_across_both_processes(cluster: Cluster) -> None:
    path = "/workspace/rev/doc.txt"
    alice, carol = cluster.both("alice"), cluster.both("carol")
    ok(alice["a"].write(path, CONTENT))

    def check_on_both(relation: str, expected: bool, token: int, where: str) -> None:
        for server in SERVERS:
            allowed = check(carol[server], "user:carol", relation, path, at_least=token)
            assert allowed is expected, f"{cluster.backend} {where}: {relation} on {server}"

    t1 = revision_of(alice["a"].grant("user:carol", "can_read", path))
    check_on_both("can_read", True, t1, "granted on a")
    t2 = revision_of(alice["b"].grant("user:carol", "can_write", path))
    assert t2 > t1
    check_on_both("can_write", True, t2, "granted on b")
    again = alice["a"].grant("user:carol", "can_write", path)
    assert ok(again)["created"] is False
    assert revision_of(again) >= t2, "a repeated grant reported an older revision"
    t3 = revision_of(alice["a"].revoke("user:carol", "can_write", path))
    assert t3 > t2
    check_on_both("can_write", False, t3, "revoked on a")
    check_on_both("can_read", True, t3, "can_write revoked on a")

    # Group membership changes move the shared counter too (they are tuple writes).
    ok(alice["b"].create_group("rev-team"))  # +1: alice becomes its manager
    ok(alice["a"].add_member("rev-team", "user:carol"))  # +1
    t4 = revision_of(alice["b"].grant("group:rev-team", "can_execute", path))
    assert t4 >= t3 + 3, f"tokens {t3} -> {t4}: a group write did not bump the revision"
    check_on_both("can_execute", True, t4, "granted to carol's group on b")
    t5 = revision_of(alice["a"].revoke("user:carol", "can_read", path))
    assert t5 > t4
    check_on_both("can_read", True, t5, "can_read still via can_execute")

    # Concurrent writes through both servers never share a token.
    many = "/workspace/rev/many"
    ok(alice["a"].mkdir(many))
    responses = concurrently(
        {
            server: [
                # Granting on a missing path creates the folder: several writes per call.
                partial(alice[server].grant, "user:carol", "can_read", f"{many}/{server}{n}")
                for n in range(8)
            ]
            for server in SERVERS
        }
    )
    tokens = [revision_of(response) for response in responses]
    assert len(set(tokens)) == len(tokens) == 16, (
        f"two commits reported the same revision: {sorted(tokens)}"
    )
    assert min(tokens) > t5


def concurrently(calls: dict[str, list[Callable[[], httpx.Response]]]) -> list[httpx.Response]:
    """Run each server's calls in order on its own thread, all threads released together."""
    start = threading.Barrier(len(calls))
    results: list[httpx.Response] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(todo: list[Callable[[], httpx.Response]]) -> None:
        try:
            start.wait(timeout=20)
            for call in todo:
                response = call()
                with lock:
                    results.append(response)
        except BaseException as error:  # surfaced below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(todo,)) for todo in calls.values()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


# --- 6. creating the same missing folder through both processes -----------------------------


def test_both_processes_may_create_the_same_missing_folder_at_once(cluster: Cluster) -> None:
    """mkdir -p (exist_ok) and a grant on a path under a missing folder, through A and B at
    the same moment: both succeed, as they do one after the other; the slower one must not
    get a 409 because the other created the folder first. (File writes retry already.)"""
    alice = cluster.both("alice")
    kinds: dict[str, Callable[[str, str], httpx.Response]] = {
        "mkdir -p": lambda server, base: alice[server].mkdir(f"{base}/same"),
        "grant under a missing folder": lambda server, base: alice[server].grant(
            "user:bob", "can_read", f"{base}/new/{server}"
        ),
        "write under a missing folder": lambda server, base: alice[server].write(
            f"{base}/new/{server}.txt", CONTENT
        ),
    }
    failures: list[str] = []
    for kind, call in kinds.items():
        for n in range(4):
            base = f"/workspace/race/{kind.split()[0]}{n}"
            responses = concurrently({server: [partial(call, server, base)] for server in SERVERS})
            failures += [
                f"{kind} in {base}: {r.status_code} {r.text}"
                for r in responses
                if r.status_code != 200
            ]
    assert not failures, f"{cluster.backend}:\n" + "\n".join(failures)


# --- 7. expiry (not reachable through the API: engine level, two engines, two pools) --------
#
# PermissionRequest has no expiry field, so grants that expire are made through the engine
# of two complete services (two Database pools, two PermissionEngines and their caches) on
# one database, exactly what two server processes hold.


@pytest.fixture(params=BACKENDS)
def two_services(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[NexusService, NexusService]]:
    with backend_database(str(request.param)) as db_url:
        settings = ServerSettings(data_dir=tmp_path / "data", database_url=db_url)
        first = open_service(settings)
        try:
            second = open_service(settings)
            try:
                yield first, second
            finally:
                second.close()
        finally:
            first.close()


def entry(service: NexusService, path: str) -> ObjectRef:
    with service.runtime.db.read() as conn:
        return file_ref(service.runtime.tree.resolve(conn, path)[-1].id)


def can_read(service: NexusService, subject: SubjectRef, obj: ObjectRef) -> bool:
    """One check in its own read transaction, as one request of that process makes it."""
    with service.runtime.db.read() as conn:
        return service.runtime.engine.check(conn, subject, "can_read", obj)


def grant(
    service: NexusService,
    obj: ObjectRef,
    relation: str,
    subject: SubjectRef,
    expires_at: float | None = None,
) -> None:
    with service.runtime.db.write() as conn:
        service.runtime.engine.grant(conn, obj, relation, subject, expires_at=expires_at)


def test_expiring_grants_stop_on_both_engines_at_once(
    two_services: tuple[NexusService, NexusService],
) -> None:
    first, second = two_services
    second.files.write(SYSTEM, "/workspace/exp/direct.txt", CONTENT)
    first.files.write(SYSTEM, "/workspace/exp/inherited.txt", CONTENT)
    first.files.write(SYSTEM, "/workspace/by-group.txt", CONTENT)
    folder, direct = entry(first, "/workspace/exp"), entry(first, "/workspace/exp/direct.txt")
    inherited = entry(second, "/workspace/exp/inherited.txt")
    by_group = entry(second, "/workspace/by-group.txt")
    bob, team = user_ref("bob"), ObjectRef("group", "exp-team")
    grant(second, by_group, "can_read", SubjectRef("group", "exp-team", "member"))

    # Three ways to hold can_read until expires_at: direct, inherited, through a group.
    expires_at = time.time() + 1.0
    with first.runtime.db.write() as conn:
        first.runtime.engine.grant(conn, direct, "can_read", bob, expires_at=expires_at)
        first.runtime.engine.grant(conn, folder, "can_read", bob, expires_at=expires_at)
        first.runtime.engine.grant(conn, team, "member", bob, expires_at=expires_at)
    objects = [direct, folder, inherited, by_group]

    def answers(service: NexusService) -> dict[ObjectRef, bool]:
        return {obj: can_read(service, bob, obj) for obj in objects}

    def revision() -> int:
        with first.runtime.db.read() as conn:
            return first.runtime.engine.revision(conn)

    before = revision()
    warmed = 0
    while warmed < 1000:  # both engines cache "allowed" at this revision
        service = (first, second)[warmed % 2]
        seen = answers(service)
        if time.time() >= expires_at - 0.05:
            break  # the answers may straddle the expiry
        assert seen == dict.fromkeys(objects, True)
        warmed += 1
    assert warmed >= 2, "too slow to check before the expiry: the test proves nothing"
    time.sleep(max(0.0, expires_at - time.time()) + 0.05)

    # Nothing was written, so the revision is unchanged: only the clock can tell.
    assert revision() == before
    for service, name in ((second, "second"), (first, "first")):
        assert answers(service) == dict.fromkeys(objects, False), f"{name} engine after expiry"

    # A new grant without expiry (through the other engine) counts at once on both.
    grant(second, team, "member", bob)
    for service in (first, second):
        assert answers(service) == {direct: False, folder: False, inherited: False, by_group: True}


# --- 8. a check racing a commit in the other process ----------------------------------------


@pytest.mark.parametrize("change", ["revoke", "move out", "restrict"])
def test_a_check_overlapping_a_commit_elsewhere_leaves_nothing_stale_cached(
    two_services: tuple[NexusService, NexusService],
    monkeypatch: pytest.MonkeyPatch,
    change: str,
) -> None:
    """A check in process 1 loads state at revision R; while it runs, process 2 commits a
    change and another check in process 1 already moves its caches to R+1. Whatever the slow
    check learned at R must not be served afterwards (deterministic: the commit is made from
    inside the slow check's load, through a wrapped store or tree method)."""
    first, second = two_services
    first.files.write(SYSTEM, "/workspace/top/shared/doc.txt", CONTENT)
    first.files.mkdir(SYSTEM, "/workspace/private")
    top, doc = entry(first, "/workspace/top"), entry(first, "/workspace/top/shared/doc.txt")
    bob = user_ref("bob")
    grant(second, top, "can_read", bob)  # a new revision: process 1's caches are cold

    def commit_elsewhere() -> None:
        if change == "revoke":
            with second.runtime.db.write() as conn:
                assert second.runtime.engine.revoke(conn, top, "can_read", bob)
        elif change == "move out":
            second.files.move(SYSTEM, "/workspace/top/shared/doc.txt", "/workspace/private/doc.txt")
        else:
            second.files.set_restricted(SYSTEM, "/workspace/top/shared", True)

    # Where the slow check reads the state the change replaces: the tuples of `top` (the
    # grant), or the tree edge of the moved file or the restricted folder.
    shared = entry(first, "/workspace/top/shared")
    owner: Any = first.runtime.engine.store if change == "revoke" else first.runtime.tree
    method = "tuples_for_objects" if change == "revoke" else "known"
    reads_old_state: Callable[[list[Any]], bool] = {
        "revoke": lambda keys: top in keys,
        "move out": lambda keys: int(doc.id) in keys,
        "restrict": lambda keys: int(shared.id) in keys,
    }[change]
    load = getattr(owner, method)
    seen_meanwhile: list[bool] = []

    def slow_load(conn: Any, keys: Any) -> Any:
        keys = list(keys)
        loaded = load(conn, keys)  # the state before the change, whatever the isolation
        if reads_old_state(keys) and not seen_meanwhile:
            seen_meanwhile.append(True)  # once: the nested check below loads too
            commit_elsewhere()
            seen_meanwhile.append(can_read(first, bob, doc))
        return loaded

    monkeypatch.setattr(owner, method, slow_load)
    can_read(first, bob, doc)  # began before the change: either answer is fine for it
    assert seen_meanwhile, f"the check never called {method}: update this test's seam"
    assert seen_meanwhile == [True, False], f"{change}: a check after the commit still allowed"
    for service, name in ((first, "first"), (second, "second")):
        for _ in range(2):  # the second time from whatever the first one cached
            assert can_read(service, bob, doc) is False, f"{change}: {name} serves a stale grant"
