"""Copying a file or a whole directory: new entries with new stable ids, owned by the copier.

A copy shares the source's stored content (blobs are content addressed: no bytes are
copied) and nothing else: it starts at version 1 with no history, no grants but its new
owner's and no locks. It copies exactly what the caller would see in a recursive listing
of the source (entries hidden from the caller are left out, so a copy tells nobody about
them), at most ``MAX_COPY_ENTRIES`` entries, in one transaction: a copy is whole or absent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from nexus.api.models import FileInfo
from nexus.authz import Relationship
from nexus.errors import NexusConflictError, NexusFileExistsError, NexusValidationError
from nexus.files.access import Access, denied
from nexus.files.activity import audited, record_change
from nexus.files.convert import file_info
from nexus.files.creation import Creator, retry_create_races
from nexus.files.listing import is_session_directory
from nexus.files.namespaces import is_root
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime, file_ref, user_ref
from nexus.metadata import Entry
from nexus.paths import MAX_PATH_DEPTH, is_within, normalize, refuse_file_as_directory, segments

# One copy is one transaction, which holds SQLite's single write lock while it runs; the
# bound keeps that to about a second. Bigger trees are copied folder by folder.
MAX_COPY_ENTRIES = 10_000


@dataclass(frozen=True, slots=True)
class _Copied:
    """A visible entry below the source: its depth below it and its parent's index in the
    walk (parents come before their children)."""

    entry: Entry
    depth: int
    parent_index: int


class CopyOperations:
    def __init__(self, runtime: Runtime, access: Access, creator: Creator):
        self.runtime = runtime
        self.access = access
        self.creator = creator

    @audited("copy", path="src", target="dst")
    def copy(self, principal: Principal, src: str, dst: str) -> FileInfo:
        """Copy ``src`` (a file, or a directory with what the caller sees below it) to the
        new path ``dst``; returns the copy's record. Needs read on the source and the right
        to create at ``dst``; an existing ``dst`` is NexusFileExistsError (no overwrite)."""
        spelled_dst = dst
        src, dst = normalize(src), normalize(dst)
        if is_within(dst, src):
            raise NexusValidationError(
                f"cannot copy {src} into itself ({dst})", path=dst, code="copy_into_itself"
            )
        return retry_create_races(lambda: self._copy_once(principal, src, dst, spelled_dst))

    def _copy_once(self, principal: Principal, src: str, dst: str, spelled_dst: str) -> FileInfo:
        with self.runtime.db.write() as conn:
            source = self.access.find(conn, principal, src).entry
            refuse_file_as_directory(dst, not source.is_directory, spelled_dst)
            if is_root(src):
                raise NexusValidationError(
                    f"cannot copy {src}: it is a namespace root", path=src, code="namespace_root"
                )
            below = self._visible_below(conn, principal, src, source) if source.is_directory else []
            deepest = max((item.depth for item in below), default=0)
            if len(segments(dst)) + deepest > MAX_PATH_DEPTH:
                raise NexusValidationError(
                    f"copying {src} to {dst} would put entries more than {MAX_PATH_DEPTH} "
                    "levels deep",
                    path=dst,
                    code="invalid_path",
                )
            if is_session_directory(dst):
                raise NexusValidationError(
                    "cannot copy to a session directory: create_session makes them",
                    path=dst,
                    code="session_directory",
                )
            target = self.access.resolve(conn, dst)
            if target.exists:
                if self.access.sees(conn, principal, dst, target.entry):
                    raise NexusFileExistsError(f"file exists: {dst}", path=dst)
                raise denied(dst)
            # The files' rows are held until commit: their content stays referenced (a
            # writer replacing it waits), so the blob collector cannot take what we copy.
            held = self.runtime.tree.lock_many_for_update(
                conn,
                [e.id for e in (source, *(item.entry for item in below)) if not e.is_directory],
            )
            if not source.is_directory:
                if source.id not in held:  # deleted since we found it (PostgreSQL)
                    raise NexusConflictError(f"{src} changed while copying; try again", path=src)
                source = held[source.id]
            top = self.creator.create(conn, principal, target, source.kind)
            top = self._fill(conn, principal, source, top)
            made = [top]
            copied = 1
            for item in below:
                original = item.entry
                if not original.is_directory:
                    if original.id not in held:  # deleted since the walk (PostgreSQL)
                        made.append(original)  # a file is nobody's parent: keeps the indices
                        continue
                    original = held[original.id]
                child = self._make(conn, principal, original, made[item.parent_index])
                made.append(self._fill(conn, principal, original, child))
                copied += 1
            # Not the source's path: readers of the copy need not be readers of the source.
            details = {"entries": copied}
            record_change(self.runtime, conn, principal, "copy", dst, top, details=details)
            return file_info(top, dst)

    def _visible_below(
        self, conn: Connection, principal: Principal, src: str, source: Entry
    ) -> list[_Copied]:
        """What the caller may read below ``source``, parents before children; refused
        when it is more than MAX_COPY_ENTRIES (counting only what the caller sees)."""
        tree = self.runtime.tree
        found: list[_Copied] = []
        # (entry, depth, index of its copy in the final list: 0 is the top)
        frontier: list[tuple[Entry, int, int]] = [(source, 0, 0)]
        while frontier:
            following: list[tuple[Entry, int, int]] = []
            for directory, depth, index in frontier:
                children = tree.children(conn, directory.id)
                readable = self.access.can_many(conn, principal, "can_read", children)
                for child, can_read in zip(children, readable, strict=True):
                    if not can_read:
                        continue  # hidden: left out, as from a recursive listing
                    found.append(_Copied(child, depth + 1, index))
                    if len(found) >= MAX_COPY_ENTRIES:
                        raise NexusValidationError(
                            f"copying {src} would make more than {MAX_COPY_ENTRIES} entries: "
                            "copy its folders one by one",
                            path=src,
                            code="copy_too_large",
                        )
                    if child.is_directory:
                        following.append((child, depth + 1, len(found)))
            frontier = following
        return found

    def _make(
        self, conn: Connection, principal: Principal, original: Entry, parent_copy: Entry
    ) -> Entry:
        """A new entry like ``original`` inside the new directory ``parent_copy``, owned as
        the copy's top is (by the copier; in an inbox, by its user)."""
        now = self.runtime.now()
        made = self.runtime.tree.create(
            conn,
            parent_id=parent_copy.id,
            name=original.name,
            kind=original.kind,
            owner=parent_copy.owner,
            now=now,
        )
        owner = Relationship(
            file_ref(made.id), "owner", user_ref(parent_copy.owner), now, principal.user_id
        )
        self.runtime.engine.write_on_new_object(conn, owner)  # made just now
        return made

    def _fill(self, conn: Connection, principal: Principal, original: Entry, made: Entry) -> Entry:
        """Give the new entry the original's content (files; the row this transaction
        holds) or restriction (directories)."""
        if original.is_directory:
            if not original.restricted:
                return made
            # A restricted folder stays closed to grants from above where it lands.
            restricted = self.runtime.tree.set_restricted(conn, made.id, True)
            self.runtime.tree_changed(conn)
            return restricted
        if original.blob_hash is None:
            return made
        updated = self.runtime.tree.set_content(
            conn,
            made,
            blob_hash=original.blob_hash,
            size=original.size,
            written_by=principal.user_id,
            now=self.runtime.now(),
        )
        assert updated is not None  # made in this transaction: nobody else has written it
        return updated
