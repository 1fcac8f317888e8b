"""Builds the permission benchmark's store: a real Nexus data dir on SQLite.

Small structural parts (users, groups, the deep folder chain) go through the same stores the
server uses; the bulk (100,000s of entries and up to millions of tuples) is inserted in
batches, because creating them one request at a time would take hours and measure nothing
the benchmark is about. Every bulk row is one the server could have written itself.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select

from nexus.authz import ObjectRef, Relationship, SubjectRef
from nexus.config import ServerSettings
from nexus.db.tables import entries, relationships
from nexus.files.runtime import Runtime, file_ref, open_runtime
from nexus.metadata import DIRECTORY

_BATCH = 50_000
NESTING_LEVELS = 10


@dataclass(frozen=True)
class Sizes:
    relationships: int = 1_000_000
    dir_entries: int = 10_000
    files: int = 100_000  # spread over folders of 1,000


@dataclass
class Dataset:
    """What the measurements need to know about the store they run on."""

    data_dir: Path
    deep_file: ObjectRef  # 5 directory levels below the grant
    nesting_users: dict[int, SubjectRef] = field(default_factory=dict)  # depth -> user
    relationships: int = 0
    entries: int = 0
    build_seconds: float = 0.0


def _tree_dir(runtime: Runtime, conn: Connection, parent_id: int, name: str, owner: str) -> int:
    entry = runtime.tree.create(
        conn, parent_id=parent_id, name=name, kind=DIRECTORY, owner=owner, now=time.time()
    )
    _owner_tuple(runtime, conn, entry.id, owner)
    return entry.id


def _owner_tuple(runtime: Runtime, conn: Connection, entry_id: int, owner: str) -> None:
    runtime.engine.write(
        conn, Relationship(file_ref(entry_id), "owner", SubjectRef("user", owner), time.time())
    )


def _grant(runtime: Runtime, conn: Connection, entry_id: int, relation: str, subject: str) -> None:
    runtime.engine.write(
        conn, Relationship(file_ref(entry_id), relation, SubjectRef.parse(subject), time.time())
    )


def _bulk_files(
    conn: Connection, parent_id: int, count: int, owner: str, *, private_dirs: bool = False
) -> list[int]:
    """``count`` new entries; with ``private_dirs`` every other one is a restricted folder
    (nothing from above reaches it), so a listing has something to filter out."""
    now = time.time()
    rows = [
        {
            "parent_id": parent_id,
            "name": f"f{i:06d}.txt",
            "kind": "dir" if private_dirs and i % 2 else "file",
            "restricted": private_dirs and i % 2 == 1,
            "version": 1,
            "size": 0,
            "blob_hash": None,
            "created_at": now,
            "modified_at": now,
            "owner": owner,
        }
        for i in range(count)
    ]
    for start in range(0, len(rows), _BATCH):
        conn.execute(insert(entries), rows[start : start + _BATCH])
    ids = conn.execute(
        select(entries.c.id).where(entries.c.parent_id == parent_id).order_by(entries.c.id)
    )
    return [int(row.id) for row in ids]


def _tuple_row(object_id: int, relation: str, subject: SubjectRef, now: float) -> dict[str, Any]:
    return {
        "object_type": "file",
        "object_id": str(object_id),
        "relation": relation,
        "subject_type": subject.type,
        "subject_id": subject.id,
        "subject_relation": subject.relation,
        "created_at": now,
        "created_by": "admin",
        "expires_at": None,
    }


def _bulk_tuples(runtime: Runtime, conn: Connection, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), _BATCH):
        conn.execute(insert(relationships), rows[start : start + _BATCH])
    runtime.relationships.bump(conn)


def _filler(
    existing: set[tuple[str, str, str, str, str]],
    file_ids: list[int],
    count: int,
    rng: random.Random,
) -> Iterator[dict[str, Any]]:
    """Random grants of 10,000 users and 1,000 groups on the files, none duplicated."""
    now = time.time()
    made = 0
    while made < count:
        object_id = str(rng.choice(file_ids))
        relation = rng.choice(("can_read", "can_write", "can_execute"))
        if rng.random() < 0.8:
            subject = SubjectRef("user", f"u{rng.randrange(10_000)}")
        else:
            subject = SubjectRef("group", f"h{rng.randrange(1_000)}", "member")
        key = (object_id, relation, subject.type, subject.id, subject.relation)
        if key in existing:
            continue
        existing.add(key)
        made += 1
        yield _tuple_row(int(object_id), relation, subject, now)


def _marker(data_dir: Path) -> Path:
    return data_dir / "benchmark-dataset.json"


def load_or_build(data_dir: Path, sizes: Sizes) -> Dataset:
    """Reuse a store this module built earlier with the same sizes (building 1,000,000
    relationships takes a minute), else build it; an unrelated data dir is refused."""
    marker = _marker(data_dir)
    if marker.exists():
        saved = json.loads(marker.read_text())
        if saved["sizes"] == asdict(sizes):
            return Dataset(
                data_dir=data_dir,
                deep_file=ObjectRef.parse(saved["deep_file"]),
                nesting_users={int(k): SubjectRef.parse(v) for k, v in saved["nesting"].items()},
                relationships=saved["relationships"],
                entries=saved["entries"],
                build_seconds=0.0,
            )
        raise SystemExit(f"{data_dir} holds a benchmark store of other sizes: remove it first")
    if data_dir.exists() and any(data_dir.iterdir()):
        raise SystemExit(f"{data_dir} is not empty and not a benchmark store")
    dataset = build(data_dir, sizes)
    marker.write_text(
        json.dumps(
            {
                "sizes": asdict(sizes),
                "deep_file": str(dataset.deep_file),
                "nesting": {str(k): str(v) for k, v in dataset.nesting_users.items()},
                "relationships": dataset.relationships,
                "entries": dataset.entries,
            }
        )
    )
    return dataset


def build(data_dir: Path, sizes: Sizes, *, seed: int = 7) -> Dataset:
    started = time.perf_counter()
    rng = random.Random(seed)
    runtime = open_runtime(ServerSettings(data_dir=data_dir))
    try:
        dataset = _build(runtime, sizes, rng, data_dir)
    finally:
        runtime.close()
    dataset.build_seconds = time.perf_counter() - started
    return dataset


def _build(runtime: Runtime, sizes: Sizes, rng: random.Random, data_dir: Path) -> Dataset:
    now = time.time()
    with runtime.db.write() as conn:
        for user in ("admin", "alice", "bob", "dave"):
            runtime.users.create(
                conn, user, user.title(), f"{user}@example.com", user == "admin", now
            )
        # bob is in g1, g1 in g2, g2 in g3: the group chain the deep check goes through.
        for group in ("g1", "g2", "g3"):
            runtime.groups.create(conn, group, "", "admin", now)
        _group_member(runtime, conn, "g1", "user:bob")
        _group_member(runtime, conn, "g2", "group:g1#member")
        _group_member(runtime, conn, "g3", "group:g2#member")
        # carol<k> reaches her grant through a chain of k nested groups.
        nesting_users: dict[int, SubjectRef] = {}
        for depth in range(1, NESTING_LEVELS + 1):
            user = f"carol{depth}"
            runtime.users.create(conn, user, user, f"{user}@example.com", False, now)
            chain = [f"n{depth}_{level}" for level in range(1, depth + 1)]
            for group in chain:
                runtime.groups.create(conn, group, "", "admin", now)
            _group_member(runtime, conn, chain[0], f"user:{user}")
            for inner, outer in itertools.pairwise(chain):
                _group_member(runtime, conn, outer, f"group:{inner}#member")
            nesting_users[depth] = SubjectRef("user", user)

        workspace = runtime.tree.resolve(conn, "/workspace")[-1].id
        level = _tree_dir(runtime, conn, workspace, "l1", "alice")
        top = level
        for name in ("l2", "l3", "l4", "l5"):
            level = _tree_dir(runtime, conn, level, name, "alice")
        deep = runtime.tree.create(
            conn, parent_id=level, name="deep.txt", kind="file", owner="alice", now=now
        )
        _owner_tuple(runtime, conn, deep.id, "alice")
        _grant(runtime, conn, top, "can_read", "group:g3#member")
        for depth in range(1, NESTING_LEVELS + 1):
            _grant(runtime, conn, top, "can_read", f"group:n{depth}_{depth}#member")

        # /workspace/big: bob reads the folder through g3, but every other entry is a
        # private (restricted) folder of alice's: he sees half of the listing.
        big = _tree_dir(runtime, conn, workspace, "big", "alice")
        _grant(runtime, conn, big, "can_read", "group:g3#member")
        big_files = _bulk_files(conn, big, sizes.dir_entries, "alice", private_dirs=True)
        # /workspace/shared: bob reads everything through g3's grant on the folder.
        shared = _tree_dir(runtime, conn, workspace, "shared", "alice")
        _grant(runtime, conn, shared, "can_read", "group:g3#member")
        shared_files = _bulk_files(conn, shared, sizes.dir_entries, "alice")
        # /workspace/many: folders of 1,000; dave reads all of it, bob a tenth plus strays.
        many = _tree_dir(runtime, conn, workspace, "many", "alice")
        _grant(runtime, conn, many, "can_read", "user:dave")
        many_files: list[int] = []
        folders = max(1, sizes.files // 1000)
        for index in range(folders):
            folder = _tree_dir(runtime, conn, many, f"d{index:03d}", "alice")
            if index % 10 == 0:
                _grant(runtime, conn, folder, "can_read", "group:g3#member")
            many_files.extend(_bulk_files(conn, folder, min(1000, sizes.files), "alice"))

        all_files = big_files + shared_files + many_files
        rows = [_tuple_row(i, "owner", SubjectRef("user", "alice"), now) for i in all_files]
        # bob also holds direct grants on a tenth of the private folders.
        rows += [
            _tuple_row(i, "can_read", SubjectRef("user", "bob"), now) for i in big_files[1::20]
        ]
        rows += [
            _tuple_row(i, "can_read", SubjectRef("user", "bob"), now) for i in many_files[5::100]
        ]
        # 1,000 groups of ten users each.
        for group in range(1_000):
            runtime.groups.create(conn, f"h{group}", "", "admin", now)
            for member in rng.sample(range(10_000), 10):
                rows.append(
                    {
                        **_tuple_row(0, "member", SubjectRef("user", f"u{member}"), now),
                        "object_type": "group",
                        "object_id": f"h{group}",
                    }
                )
        _bulk_tuples(runtime, conn, rows)
        existing = {
            (r["object_id"], r["relation"], r["subject_type"], r["subject_id"], "")
            for r in rows
            if r["object_type"] == "file"
        }
        current = int(conn.execute(select(func.count()).select_from(relationships)).scalar_one())
        filler = list(_filler(existing, all_files, max(0, sizes.relationships - current), rng))
        _bulk_tuples(runtime, conn, filler)
        total = int(conn.execute(select(func.count()).select_from(relationships)).scalar_one())
        entry_count = int(conn.execute(select(func.count()).select_from(entries)).scalar_one())
    return Dataset(
        data_dir=data_dir,
        deep_file=file_ref(deep.id),
        nesting_users=nesting_users,
        relationships=total,
        entries=entry_count,
    )


def _group_member(runtime: Runtime, conn: Connection, group: str, subject: str) -> None:
    runtime.engine.write(
        conn,
        Relationship(ObjectRef("group", group), "member", SubjectRef.parse(subject), time.time()),
    )
