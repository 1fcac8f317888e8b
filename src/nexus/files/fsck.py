"""`nexus admin fsck`: check a store offline (or beside a running server) and report.

It opens the database and the blob directory directly, without migrating or writing
anything, so it can run after a crash before the server restarts. The rows are read raw from
the tables, on purpose: the checker must not rely on the invariants the stores keep.

Beside a running server it stays read-only and sees one database snapshot (a SQLite WAL read
transaction, PostgreSQL REPEATABLE READ). Blobs are looked at after that snapshot, so a
write landing meanwhile shows up as an orphan notice, and a blob collected after its last
reference went is re-checked against a fresh snapshot before it is called missing.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.exc import SQLAlchemyError

from nexus.blobs import LocalBlobStore
from nexus.config import ServerSettings
from nexus.db.engine import Database, open_engine_without_pool
from nexus.db.migrate import schema_revisions
from nexus.db.tables import entries, groups, relationships, users, versions
from nexus.errors import NexusError
from nexus.files import fsck_report as kinds
from nexus.files.fsck_report import Finding, FsckReport
from nexus.files.snapshot import snapshot_read
from nexus.identity import SYSTEM_USER
from nexus.metadata import DIRECTORY, FILE


class FsckUnavailableError(NexusError):
    """The store could not be checked at all (no database, another schema, unreachable)."""

    code = "fsck_unavailable"


@dataclass(frozen=True)
class _Entry:
    id: int
    parent_id: int | None
    name: str
    kind: str
    version: int
    size: int
    blob_hash: str | None


@dataclass(frozen=True)
class _Reference:
    """Something pointing at a blob: an entry's current content or a kept version."""

    entry_id: int
    version: int
    size: int


def describe_store(settings: ServerSettings) -> str:
    if settings.database_url is None:
        return str(settings.data_dir)
    from sqlalchemy.engine import make_url

    return f"{make_url(settings.database_url).render_as_string(hide_password=True)} " + (
        f"+ {settings.blob_dir}"
    )


def _open_database(settings: ServerSettings) -> Database:
    if settings.database_url is None and not (settings.data_dir / "nexus.db").is_file():
        # Opening would create an empty database: say there is nothing here instead.
        raise FsckUnavailableError(f"no Nexus database in {settings.data_dir} (no nexus.db)")
    try:
        engine = open_engine_without_pool(settings.resolved_database_url)
    except (SQLAlchemyError, ValueError) as exc:
        raise FsckUnavailableError(f"cannot open the database: {exc}") from None
    try:
        current, head = schema_revisions(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise FsckUnavailableError(f"cannot read the database: {exc}") from None
    if current != head:
        engine.dispose()
        raise FsckUnavailableError(
            f"the database's schema is at revision {current}, this nexus expects {head}: "
            "check it with the nexus version that wrote it (or start `nexus serve` to migrate)"
        )
    return Database(engine)


def run_fsck(settings: ServerSettings) -> FsckReport:
    """Check the store of ``settings``; raises FsckUnavailableError when it cannot."""
    if (
        settings.blob_dir.is_dir()
        and LocalBlobStore(settings.blob_dir, create=False).in_old_layout()
    ):
        raise FsckUnavailableError(
            f"the blobs in {settings.blob_dir} are in the old two-level layout: start "
            "nexus serve once (it converts them), then check again"
        )
    database = _open_database(settings)
    try:
        return _Checker(settings, database).run()
    finally:
        database.dispose()


class _Checker:
    def __init__(self, settings: ServerSettings, database: Database):
        self.database = database
        self.blob_dir = settings.blob_dir
        self.report = FsckReport(describe_store(settings))
        self.paths: dict[int, str] = {}

    def add(
        self,
        kind: str,
        message: str,
        *,
        entry_id: int | None = None,
        path: str | None = None,
        version: int | None = None,
        blob: str | None = None,
        age_seconds: float | None = None,
    ) -> None:
        self.report.findings.append(
            Finding(kind, message, entry_id, path, version, blob, age_seconds)
        )

    def run(self) -> FsckReport:
        started = time.time()
        with snapshot_read(self.database) as conn:
            self._check_database_file(conn)
            tree = self._load_tree(conn)
            self._check_tree(tree)
            references = self._check_versions(conn, tree)
            self._check_relationships(conn, tree)
        self._check_blobs(references, started)
        return self.report

    # --- the database ----------------------------------------------------------------

    def _check_database_file(self, conn: Connection) -> None:
        if self.database.dialect != "sqlite":
            return  # PostgreSQL checksums its own pages
        verdicts = [row[0] for row in conn.exec_driver_sql("PRAGMA quick_check")]
        if verdicts != ["ok"]:
            for verdict in verdicts[:20]:
                self.add(kinds.DATABASE_CORRUPT, f"SQLite quick_check: {verdict}")

    # --- the tree ----------------------------------------------------------------------

    def _load_tree(self, conn: Connection) -> dict[int, _Entry]:
        rows = conn.execute(
            select(
                entries.c.id,
                entries.c.parent_id,
                entries.c.name,
                entries.c.kind,
                entries.c.version,
                entries.c.size,
                entries.c.blob_hash,
            )
        )
        tree = {
            int(row.id): _Entry(
                int(row.id),
                None if row.parent_id is None else int(row.parent_id),
                row.name,
                row.kind,
                int(row.version),
                int(row.size),
                row.blob_hash,
            )
            for row in rows
        }
        counts = self.report.counts
        counts["entries"] = len(tree)
        counts["files"] = sum(1 for entry in tree.values() if entry.kind == FILE)
        counts["directories"] = sum(1 for entry in tree.values() if entry.kind == DIRECTORY)
        return tree

    def _where(self, entry: _Entry) -> str:
        return self.paths.get(entry.id) or f"entry {entry.id} ({entry.name!r})"

    def _check_tree(self, tree: dict[int, _Entry]) -> None:
        roots = [entry for entry in tree.values() if entry.parent_id is None]
        if len(roots) != 1:
            self.add(kinds.ROOT, f"{len(roots)} root directories (expected exactly one)")
        names: dict[tuple[int, str], list[int]] = defaultdict(list)
        for entry in tree.values():
            if entry.kind not in (FILE, DIRECTORY):
                self.add(kinds.BAD_KIND, f"entry {entry.id} has kind {entry.kind!r}")
            if entry.parent_id is None:
                continue
            names[(entry.parent_id, entry.name)].append(entry.id)
            if not entry.name or "/" in entry.name or entry.name in (".", ".."):
                self.add(kinds.BAD_NAME, f"entry {entry.id} is named {entry.name!r}")
            parent = tree.get(entry.parent_id)
            if parent is None:
                self.add(
                    kinds.MISSING_PARENT,
                    f"entry {entry.id} ({entry.name!r}) has parent {entry.parent_id}, "
                    "which does not exist",
                    entry_id=entry.id,
                )
            elif parent.kind != DIRECTORY:
                self.add(
                    kinds.PARENT_NOT_DIRECTORY,
                    f"entry {entry.id} ({entry.name!r}) is inside {parent.id}, a {parent.kind}",
                    entry_id=entry.id,
                )
        for (parent_id, name), ids in names.items():
            if len(ids) > 1:
                self.add(
                    kinds.DUPLICATE_NAME,
                    f"{len(ids)} entries named {name!r} in directory {parent_id}: {sorted(ids)}",
                )
        self._find_paths_and_cycles(tree)

    def _find_paths_and_cycles(self, tree: dict[int, _Entry]) -> None:
        """Every entry's path from the root; entries on (or below) a cycle get reported."""
        settled: dict[int, str | None] = {}  # None: does not reach the root
        for start in tree:
            chain: list[int] = []
            on_chain: set[int] = set()
            current: int | None = start
            outcome: str | None = None
            while True:
                if current is None:
                    outcome = ""
                    break
                if current in settled:
                    outcome = settled[current]
                    break
                if current in on_chain:
                    looped = chain[chain.index(current) :]
                    self.add(
                        kinds.CYCLE,
                        f"entries {looped} form a cycle (each is the other's ancestor)",
                        entry_id=current,
                    )
                    outcome = None
                    break
                entry = tree.get(current)
                if entry is None:  # a missing parent, reported by _check_tree
                    outcome = None
                    break
                chain.append(current)
                on_chain.add(current)
                current = entry.parent_id
            for entry_id in reversed(chain):
                entry = tree[entry_id]
                if outcome is not None:
                    outcome = "/" if entry.parent_id is None else _join(outcome, entry.name)
                settled[entry_id] = outcome
        self.paths = {entry_id: path for entry_id, path in settled.items() if path is not None}

    # --- versions and their blobs ----------------------------------------------------

    def _check_versions(
        self, conn: Connection, tree: dict[int, _Entry]
    ) -> dict[str, list[_Reference]]:
        references: dict[str, list[_Reference]] = defaultdict(list)
        kept: dict[tuple[int, int], tuple[str, int]] = {}
        rows = conn.execute(
            select(versions.c.entry_id, versions.c.version, versions.c.blob_hash, versions.c.size)
        )
        for row in rows:
            entry_id, number = int(row.entry_id), int(row.version)
            kept[(entry_id, number)] = (row.blob_hash, int(row.size))
            references[row.blob_hash].append(_Reference(entry_id, number, int(row.size)))
            entry = tree.get(entry_id)
            if entry is None:
                self.add(
                    kinds.VERSION_WITHOUT_ENTRY,
                    f"version {number} belongs to entry {entry_id}, which does not exist",
                    entry_id=entry_id,
                    version=number,
                )
            elif number > entry.version:
                self.add(
                    kinds.VERSION_AHEAD,
                    f"{self._where(entry)} is at version {entry.version} but has a "
                    f"version {number} record",
                    entry_id=entry_id,
                    path=self.paths.get(entry_id),
                    version=number,
                )
        self.report.counts["versions"] = len(kept)
        for entry in tree.values():
            if entry.kind == FILE:
                self._check_current_version(entry, kept, references)
        return references

    def _check_current_version(
        self,
        entry: _Entry,
        kept: dict[tuple[int, int], tuple[str, int]],
        references: dict[str, list[_Reference]],
    ) -> None:
        path = self.paths.get(entry.id)
        if entry.blob_hash is None or entry.version < 1:
            self.add(
                kinds.FILE_WITHOUT_CONTENT,
                f"{self._where(entry)} is a file without content (version {entry.version})",
                entry_id=entry.id,
                path=path,
            )
            return
        references[entry.blob_hash].append(_Reference(entry.id, entry.version, entry.size))
        record = kept.get((entry.id, entry.version))
        if record is None:
            self.add(
                kinds.MISSING_VERSION_RECORD,
                f"{self._where(entry)} has no record of its current version {entry.version}",
                entry_id=entry.id,
                path=path,
                version=entry.version,
            )
        elif record != (entry.blob_hash, entry.size):
            self.add(
                kinds.VERSION_MISMATCH,
                f"{self._where(entry)} version {entry.version} is {entry.blob_hash} "
                f"({entry.size} bytes) but its version record says {record[0]} "
                f"({record[1]} bytes)",
                entry_id=entry.id,
                path=path,
                version=entry.version,
            )

    def _check_blobs(self, references: dict[str, list[_Reference]], started: float) -> None:
        store = LocalBlobStore(self.blob_dir, create=False) if self.blob_dir.is_dir() else None
        suspects: list[Finding] = []
        for digest, referrers in references.items():
            suspects.extend(self._verify_blob(store, digest, referrers))
        self.report.findings.extend(self._still_referenced(suspects))
        self.report.counts["blobs_referenced"] = len(references)
        stored = list(store.blobs()) if store else []
        temps = list(store.temp_files()) if store else []
        counts = self.report.counts
        counts["blobs_stored"] = len(stored)
        counts["blob_bytes"] = sum(blob.size for blob in stored)
        counts["temp_files"] = len(temps)
        orphans = [blob for blob in stored if blob.name not in references]
        counts["orphan_blobs"] = len(orphans)
        for blob in orphans:
            age = max(0.0, started - blob.modified_at)
            self.add(
                kinds.ORPHAN_BLOB,
                f"blob {blob.name} ({blob.size} bytes, {age:.0f} s old) is referenced by no "
                "file or version; the next garbage collection removes it",
                blob=blob.name,
                age_seconds=round(age, 3),
            )
        for temp in temps:
            age = max(0.0, started - temp.modified_at)
            self.add(
                kinds.TEMP_FILE,
                f"temp file {self.blob_dir / 'tmp' / temp.name} ({temp.size} bytes, "
                f"{age:.0f} s old): a blob write in progress or cut short by a crash",
                age_seconds=round(age, 3),
            )

    def _verify_blob(
        self, store: LocalBlobStore | None, digest: str, referrers: list[_Reference]
    ) -> Iterable[Finding]:
        def each(kind: str, message: str) -> Iterable[Finding]:
            for ref in referrers:
                where = self.paths.get(ref.entry_id) or f"entry {ref.entry_id}"
                yield Finding(
                    kind,
                    f"{where} version {ref.version}: {message}",
                    entry_id=ref.entry_id,
                    path=self.paths.get(ref.entry_id),
                    version=ref.version,
                    blob=digest,
                )

        try:
            if store is None:
                raise FileNotFoundError(digest)
            actual, size = store.content_hash(digest)
        except ValueError:
            return each(kinds.BAD_DIGEST, f"{digest!r} is not a SHA-256 digest")
        except FileNotFoundError:
            return each(kinds.MISSING_BLOB, f"blob {digest} does not exist{self._hint(digest)}")
        if actual != digest:
            return each(kinds.CORRUPT_BLOB, f"blob {digest} holds bytes hashing to {actual}")
        wrong = [ref for ref in referrers if ref.size != size]
        return [
            Finding(
                kinds.SIZE_MISMATCH,
                f"{self.paths.get(ref.entry_id) or f'entry {ref.entry_id}'} version "
                f"{ref.version}: recorded size {ref.size}, blob {digest} has {size} bytes",
                entry_id=ref.entry_id,
                path=self.paths.get(ref.entry_id),
                version=ref.version,
                blob=digest,
            )
            for ref in wrong
        ]

    def _hint(self, digest: str) -> str:
        """Where a missing blob may still be: a collection moves its candidate into tmp/
        before deciding, and a crash at that moment leaves it there."""
        for path in sorted((self.blob_dir / "tmp").glob(f"collected-{digest}-*")):
            return f" (a copy is at {path}: a garbage collection cut short by a crash)"
        return ""

    def _still_referenced(self, suspects: list[Finding]) -> list[Finding]:
        """Drop blob findings whose reference went after our snapshot (a server running
        beside us deleted the file and collected its blob): not damage."""
        if not suspects:
            return []
        digests = {finding.blob for finding in suspects if finding.blob}
        current: set[tuple[int, int, str]] = set()
        with snapshot_read(self.database) as conn:
            for table in (entries, versions):
                id_column = table.c.id if table is entries else table.c.entry_id
                rows = conn.execute(
                    select(id_column, table.c.version, table.c.blob_hash).where(
                        table.c.blob_hash.in_(sorted(digests))
                    )
                )
                current.update((int(row[0]), int(row[1]), row[2]) for row in rows)
        return [
            finding
            for finding in suspects
            if (finding.entry_id, finding.version, finding.blob) in current
        ]

    # --- relationships -----------------------------------------------------------------

    def _check_relationships(self, conn: Connection, tree: dict[int, _Entry]) -> None:
        known_users = {row[0] for row in conn.execute(select(users.c.id))}
        known_users.update({SYSTEM_USER, "*"})
        known_groups = {row[0] for row in conn.execute(select(groups.c.name))}
        known_entries = {str(entry_id) for entry_id in tree}
        known = {"file": known_entries, "group": known_groups, "user": known_users}
        count = 0
        rows = conn.execute(
            select(
                relationships.c.object_type,
                relationships.c.object_id,
                relationships.c.relation,
                relationships.c.subject_type,
                relationships.c.subject_id,
                relationships.c.subject_relation,
            )
        )
        for row in rows:
            count += 1
            gone = [
                f"{kind}:{ident}"
                for kind, ident in (
                    (row.object_type, row.object_id),
                    (row.subject_type, row.subject_id),
                )
                if kind in known and ident not in known[kind]
            ]
            if gone:
                subject = f"{row.subject_type}:{row.subject_id}" + (
                    f"#{row.subject_relation}" if row.subject_relation else ""
                )
                self.add(
                    kinds.DANGLING_RELATIONSHIP,
                    f"{row.object_type}:{row.object_id}#{row.relation}@{subject} names "
                    f"{', '.join(gone)}, which no longer exist(s)",
                )
        self.report.counts["relationships"] = count


def _join(parent_path: str, name: str) -> str:
    return f"/{name}" if parent_path == "/" else f"{parent_path}/{name}"
