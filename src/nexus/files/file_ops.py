"""File and directory use cases: read, write, append, list, mkdir, delete, move, restrict."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from sqlalchemy import Connection

from nexus.api.models import FileInfo
from nexus.blobs.store import read_chunks
from nexus.errors import (
    NexusConflictError,
    NexusFileExistsError,
    NexusPayloadTooLargeError,
    NexusPermissionError,
    NexusValidationError,
)
from nexus.files.access import Access, Resolved, denied
from nexus.files.activity import audited, record_change
from nexus.files.append_queue import AppendQueue
from nexus.files.content import (
    Content,
    OpenedFile,
    optional_position,
    size_limit_error,
    within_limit,
)
from nexus.files.convert import file_info
from nexus.files.creation import CreateRaceLost, Creator, retry_create_races
from nexus.files.listing import is_session_directory, list_directory
from nexus.files.lock_ops import require_unlocked
from nexus.files.namespaces import inbox_user, is_root
from nexus.files.principal import Principal
from nexus.files.removal import remove_subtree
from nexus.files.runtime import Runtime
from nexus.files.validation import optional_version
from nexus.metadata import DIRECTORY, FILE, Entry
from nexus.paths import (
    MAX_PATH_DEPTH,
    is_within,
    normalize,
    normalize_file,
    parent,
    refuse_file_as_directory,
    segments,
)

# Appends retry when another writer moved the file between reading and committing.
MAX_APPEND_ATTEMPTS = 100


def _protect_structure(path: str, action: str) -> None:
    if is_root(path):
        raise NexusValidationError(
            f"cannot {action} {path}: it is a namespace root", path=path, code="namespace_root"
        )
    if is_session_directory(path):
        raise NexusValidationError(
            f"cannot {action} a session directory: use delete_session",
            path=path,
            code="session_directory",
        )


def _require_depth_after_move(src: str, dst: str, moved: Entry, below: Sequence[Entry]) -> None:
    """No move may put an entry deeper than any path may be (nexus.paths.MAX_PATH_DEPTH)."""
    depth = {moved.id: len(segments(dst))}
    for entry in below:  # parents come before their children
        if entry.parent_id is not None:
            depth[entry.id] = depth[entry.parent_id] + 1
    if max(depth.values()) > MAX_PATH_DEPTH:
        raise NexusValidationError(
            f"moving {src} to {dst} would put entries more than {MAX_PATH_DEPTH} levels deep",
            path=dst,
            code="invalid_path",
        )


def _is_a_directory(path: str) -> NexusValidationError:
    return NexusValidationError(f"is a directory: {path}", path=path, code="is_a_directory")


class FileOperations:
    def __init__(self, runtime: Runtime, access: Access, creator: Creator):
        self.runtime = runtime
        self.access = access
        self.creator = creator
        self.append_queue = AppendQueue()

    # --- reading ------------------------------------------------------------------------

    @audited("stat")
    def stat(self, principal: Principal, path: str) -> FileInfo:
        path = normalize(path)
        with self.runtime.db.read() as conn:
            resolved = self.access.find(conn, principal, path)
            return file_info(resolved.entry, path)

    def exists(self, principal: Principal, path: str) -> bool:
        """True when the caller can see something at ``path`` (like os.path.exists)."""
        path = normalize(path)
        with self.runtime.db.read() as conn:
            resolved = self.access.resolve(conn, path)
            return resolved.exists and self.access.sees(conn, principal, path, resolved.entry)

    def read(
        self,
        principal: Principal,
        path: str,
        version: int | None = None,
        *,
        offset: int | None = None,
        length: int | None = None,
    ) -> tuple[bytes, FileInfo]:
        """The content (``length`` bytes from ``offset``: past the end is b"") and the info
        of the version read."""
        offset = optional_position("offset", offset) or 0
        length = optional_position("length", length)
        opened = self.open(principal, path, version)
        return opened.read(offset, length), opened.info

    @audited("read")
    def open(self, principal: Principal, path: str, version: int | None = None) -> OpenedFile:
        """A version of a file (the current one by default) opened for reading in chunks."""
        path = normalize(path)
        version = optional_version("version", version, minimum=1)
        with self.runtime.db.read() as conn:
            entry = self.access.find(conn, principal, path).entry
            if entry.is_directory:
                raise _is_a_directory(path)
            info = file_info(entry, path)
            digest = entry.blob_hash
            if version is not None and version != entry.version:
                record = self.runtime.tree.version(conn, entry.id, version)
                if record is None:
                    raise NexusValidationError(
                        f"{path} has no version {version}", path=path, code="unknown_version"
                    )
                digest = record.blob_hash
                # A fresh record: it describes the version read.
                info["version"], info["size"], info["etag"] = version, record.size, digest
        try:
            handle = self.runtime.blobs.open(digest) if digest else None
        except FileNotFoundError:
            # Between our snapshot and this read, newer writes pushed the version out of
            # retention and the collector took its blob: that version is gone now.
            raise NexusConflictError(
                f"{path} changed while it was read; read it again",
                path=path,
                code="changed_during_read",
            ) from None
        return OpenedFile(info, info["size"], handle)

    @audited("list")
    def list(self, principal: Principal, path: str, recursive: bool = False) -> list[FileInfo]:
        """What the caller can read in a directory (and below it, when recursive)."""
        path = normalize(path)
        with self.runtime.db.read() as conn:
            target = self.access.find(conn, principal, path).entry
            if not target.is_directory:
                return [file_info(target, path)]
            return list_directory(conn, self.access, principal, path, target, recursive)

    # --- writing ------------------------------------------------------------------------

    def _check_size(self, path: str, size: int) -> None:
        limit = self.runtime.settings.max_file_bytes
        if size > limit:
            raise size_limit_error(path, limit, size)

    def _store(self, path: str, data: Content) -> tuple[str, int]:
        """Put the content in the blob store (whole or chunk by chunk, under the size
        limit); its digest and size."""
        if isinstance(data, bytes):
            self._check_size(path, len(data))
            return self.runtime.blobs.put(data), len(data)
        limit = self.runtime.settings.max_file_bytes
        return self.runtime.blobs.put_chunks(within_limit(data, limit, path))

    @audited("write")
    def write(
        self,
        principal: Principal,
        path: str,
        data: Content,
        *,
        if_version: int | None = None,
        if_none_match: bool = False,
    ) -> FileInfo:
        """Replace (or create) a file with ``data``, whole or in chunks. Conditions are
        checked and applied in one transaction."""
        path = normalize_file(path)
        if_version = optional_version("if_version", if_version, minimum=0)
        _protect_structure(path, "write")
        self._refuse_before_storing(principal, path, if_version, if_none_match)
        # The blob is durable before any metadata points at it.
        digest, size = self._store(path, data)
        # Lost a race to create the file or a folder above it: the next run writes over the
        # file (or, create-only, finds it exists) and uses the folders under the usual rules.
        return retry_create_races(
            lambda: self._write_blob(principal, path, digest, size, if_version, if_none_match)
        )

    def _refuse_before_storing(
        self, principal: Principal, path: str, if_version: int | None, if_none_match: bool
    ) -> None:
        """Turn away a write that is sure to be refused before its content is stored: a
        refused upload must not put up to max_file_bytes on disk (and through an fsync)
        first. Raises exactly what the write's transaction would; that transaction still
        decides everything (the cases left to it here are the ones with more to them)."""
        if principal.is_admin or inbox_user(path) is not None:
            return  # admins may write anywhere; inboxes have rules of their own
        if if_version is not None or if_none_match:
            return  # conditional writes answer hidden names their own way (_write_blob)
        with self.runtime.db.read() as conn:
            resolved = self.access.resolve(conn, path)
            entry = resolved.entry
            if resolved.exists:
                refused = not self.access.can(conn, principal, "can_write", entry)
            else:
                refused = entry.is_directory and not self.access.can(
                    conn, principal, "can_create", entry
                )
        if refused:
            raise denied(path)  # as _write_blob / _writable_existing / Creator.create

    def _write_blob(
        self,
        principal: Principal,
        path: str,
        digest: str,
        size: int,
        if_version: int | None,
        if_none_match: bool,
    ) -> FileInfo:
        with self.runtime.db.write() as conn:
            resolved = self.access.resolve(conn, path)
            if resolved.exists:
                if not self.access.sees(conn, principal, path, resolved.entry):
                    # It looks absent (decision 3). A conditional write never creates, so
                    # it answers as for a missing file; any other would create the file,
                    # which fails as creating a taken name does (the rule's known limit).
                    if if_version is not None:
                        raise self.access.hidden(conn, principal, resolved)
                    raise denied(path)
                if if_none_match:
                    raise NexusFileExistsError(f"file exists: {path}", path=path)
                entry = self._writable_existing(conn, principal, resolved)
            elif if_version is not None:
                raise self.access.hidden(conn, principal, resolved)
            else:
                entry = self.creator.create(conn, principal, resolved, FILE)
            current = self.runtime.tree.lock_for_update(conn, entry.id)
            assert current is not None
            if resolved.exists:  # a file made just now has no lock
                require_unlocked(self.runtime, conn, principal, "write", path, [current])
            if if_version is not None and current.version != if_version:
                raise NexusConflictError(
                    f"{path} is at version {current.version}, not {if_version}", path=path
                )
            updated = self.runtime.tree.set_content(
                conn,
                current,
                blob_hash=digest,
                size=size,
                written_by=principal.user_id,
                now=self.runtime.now(),
            )
            if updated is None:
                raise NexusConflictError(f"{path} changed while writing; try again", path=path)
            details = {"version": updated.version, "size": size, "created": not resolved.exists}
            record_change(self.runtime, conn, principal, "write", path, updated, details=details)
            return file_info(updated, path)

    def _writable_existing(
        self, conn: Connection, principal: Principal, resolved: Resolved
    ) -> Entry:
        entry = resolved.entry
        if not self.access.can(conn, principal, "can_write", entry):
            raise denied(resolved.path)
        if entry.is_directory:
            raise _is_a_directory(resolved.path)
        return entry

    @audited("append")
    def append(self, principal: Principal, path: str, data: bytes) -> FileInfo:
        """Add ``data`` at the end of a file (creating it), atomically against other writers."""
        path = normalize_file(path)
        _protect_structure(path, "write")
        limit = self.runtime.settings.max_append_bytes
        if len(data) > limit:
            raise NexusPayloadTooLargeError(
                f"an append of {len(data)} bytes is over the limit of {limit}", path=path
            )
        self._refuse_before_storing(principal, path, None, False)
        with self.append_queue.turn(path):
            for _attempt in range(MAX_APPEND_ATTEMPTS):
                try:
                    appended = self._append_once(principal, path, data)
                except CreateRaceLost:
                    continue
                if appended is not None:
                    return appended
        raise NexusConflictError(f"{path} is changing too fast to append; try again", path=path)

    def _append_once(self, principal: Principal, path: str, data: bytes) -> FileInfo | None:
        """One optimistic append; None when another writer got in between (retry)."""
        with self.runtime.db.read() as conn:
            resolved = self.access.resolve(conn, path)
            seen = resolved.entry if resolved.exists else None
            if seen is not None:
                self._writable_existing(conn, principal, resolved)
        size = (seen.size if seen else 0) + len(data)
        self._check_size(path, size)
        try:
            old = self.runtime.blobs.open(seen.blob_hash) if seen and seen.blob_hash else None
        except FileNotFoundError:
            return None  # rewritten and collected since we looked: start over
        # The old content is copied in chunks: appending a line to a big file costs no memory.
        old_chunks = read_chunks(old) if old is not None else iter(())
        digest, _size = self.runtime.blobs.put_chunks(itertools.chain(old_chunks, (data,)))
        with self.runtime.db.write() as conn:
            resolved = self.access.resolve(conn, path)
            if resolved.exists != (seen is not None):
                return None
            if seen is None:
                # Losing a create race raises CreateRaceLost out of the transaction
                # (rolling it back) and the loop retries against the winner's file.
                entry = self.creator.create(conn, principal, resolved, FILE)
            else:
                entry = self._writable_existing(conn, principal, resolved)
            current = self.runtime.tree.lock_for_update(conn, entry.id)
            if current is None or (seen is not None and current.version != seen.version):
                return None
            if seen is not None:
                require_unlocked(self.runtime, conn, principal, "append to", path, [current])
            updated = self.runtime.tree.set_content(
                conn,
                current,
                blob_hash=digest,
                size=size,
                written_by=principal.user_id,
                now=self.runtime.now(),
            )
            if updated is None:
                return None
            details = {"version": updated.version, "size": updated.size, "added": len(data)}
            record_change(self.runtime, conn, principal, "append", path, updated, details=details)
            return file_info(updated, path)

    @audited("mkdir")
    def mkdir(
        self, principal: Principal, path: str, parents: bool = True, exist_ok: bool = True
    ) -> FileInfo:
        path = normalize(path)
        return retry_create_races(lambda: self._mkdir_once(principal, path, parents, exist_ok))

    def _mkdir_once(
        self, principal: Principal, path: str, parents: bool, exist_ok: bool
    ) -> FileInfo:
        with self.runtime.db.write() as conn:
            resolved = self.access.resolve(conn, path)
            if resolved.exists:
                entry = resolved.entry
                if not self.access.sees(conn, principal, path, entry):
                    raise denied(path)
                if not entry.is_directory or not exist_ok:
                    raise NexusFileExistsError(f"file exists: {path}", path=path)
                return file_info(entry, path)
            # Without parents nothing above is made: a parent the caller cannot see is
            # answered as a missing one (decision 3), not as a folder it may not write.
            if not parents and not self.access.parent_seen(conn, principal, resolved):
                parent_resolved = self.access.resolve(conn, parent(path))
                raise self.access.hidden(conn, principal, parent_resolved)
            created = self.creator.create(conn, principal, resolved, DIRECTORY)
            record_change(self.runtime, conn, principal, "mkdir", path, created)
            return file_info(created, path)

    @audited("delete")
    def delete(self, principal: Principal, path: str, recursive: bool = False) -> None:
        path = normalize(path)
        with self.runtime.db.write() as conn:
            resolved = self.access.find(conn, principal, path)
            _protect_structure(path, "delete")
            entry = resolved.entry
            below = self.runtime.tree.descendants(conn, entry.id) if entry.is_directory else []
            self._require_removable(conn, principal, resolved, below)
            if below and not recursive:
                raise NexusValidationError(
                    f"directory not empty: {path} (delete it recursively)",
                    path=path,
                    code="directory_not_empty",
                )
            require_unlocked(self.runtime, conn, principal, "delete", path, [entry, *below])
            removed = remove_subtree(self.runtime, conn, entry, below)
            details = {"entries": removed, "kind": entry.kind}
            record_change(self.runtime, conn, principal, "delete", path, entry, details=details)

    def _require_removable(
        self, conn: Connection, principal: Principal, resolved: Resolved, below: Sequence[Entry]
    ) -> None:
        """Deleting or moving away needs can_write on the entry, on everything below it (so
        no restricted folder inside is carried off) and on its parent. In a namespace root
        that anyone may create in (/workspace), owning the entry stands in for the parent."""
        entry, parent_entry = resolved.entry, resolved.parent
        assert parent_entry is not None
        may_write = self.access.can(conn, principal, "can_write", entry)
        parent_path = parent(resolved.path)
        leaves_parent = self.access.can(conn, principal, "can_write", parent_entry) or (
            is_root(parent_path)
            and self.access.can(conn, principal, "can_create", parent_entry)
            and self.access.can(conn, principal, "owner", entry)
        )
        if not (
            may_write
            and leaves_parent
            and all(self.access.can_many(conn, principal, "can_write", below))
        ):
            raise denied(resolved.path)

    def _may_move_into(
        self, conn: Connection, principal: Principal, directory: Entry, path: str
    ) -> bool:
        if self.access.can(conn, principal, "can_write", directory):
            return True
        # /workspace: anyone may put their own things there, as when creating them.
        return is_root(path) and self.access.can(conn, principal, "can_create", directory)

    def _require_may_relocate(
        self, conn: Connection, principal: Principal, source: Resolved, below: Sequence[Entry]
    ) -> None:
        """Moving to another folder (decision 1b): a writer renames in place, but only an
        owner of a folder above the entry, or the direct owner of the entry and of all it
        holds, takes it elsewhere. A writer could otherwise carry a collaborator's file out
        of their sight (into a folder of his own, or inside one he made where she saved it)
        and keep reading it after his grant is revoked."""
        # The folders above, nearest first (the namespace roots belong to the system).
        above = reversed(source.chain[:-1])
        if any(self.access.can(conn, principal, "owner", folder) for folder in above):
            return
        if all(self.access.can_many(conn, principal, "owner", [source.entry, *below])):
            return
        raise NexusPermissionError(
            f"only an owner of a folder above {source.path}, or of it and everything in it, "
            f"may move it to another folder: {source.path}",
            path=source.path,
            code="owner_required",
        )

    @audited("move", path="src", target="dst")
    def move(self, principal: Principal, src: str, dst: str) -> FileInfo:
        """Rename or move; grants, versions and ownership follow the entry's stable id."""
        spelled_dst = dst
        src, dst = normalize(src), normalize(dst)
        if is_within(dst, src):
            raise NexusValidationError(
                f"cannot move {src} into itself ({dst})", path=dst, code="move_into_itself"
            )
        with self.runtime.db.write() as conn:
            source = self.access.find(conn, principal, src)
            refuse_file_as_directory(dst, not source.entry.is_directory, spelled_dst)
            _protect_structure(src, "move")
            _protect_structure(dst, "replace")
            below = (
                self.runtime.tree.descendants(conn, source.entry.id)
                if source.entry.is_directory
                else []
            )
            self._require_removable(conn, principal, source, below)
            _require_depth_after_move(src, dst, source.entry, below)
            target = self.access.resolve(conn, dst)
            destination = target.parent
            # A move makes no folders: a destination folder the caller cannot see is answered
            # as a missing one (decision 3), before anything is said about the name in it.
            if destination is None or not self.access.sees(
                conn, principal, parent(dst), destination
            ):
                raise self.access.hidden(conn, principal, self.access.resolve(conn, parent(dst)))
            if target.exists:
                if self.access.sees(conn, principal, dst, target.entry):
                    raise NexusFileExistsError(f"file exists: {dst}", path=dst)
                raise denied(dst)
            if not self._may_move_into(conn, principal, destination, parent(dst)):
                raise denied(dst)
            if destination.id != source.entry.parent_id:
                self._require_may_relocate(conn, principal, source, below)
            if not destination.is_directory:
                raise NexusValidationError(
                    f"not a directory: {parent(dst)}", path=dst, code="not_a_directory"
                )
            require_unlocked(self.runtime, conn, principal, "move", src, [source.entry, *below])
            moved = self.runtime.tree.move(conn, source.entry.id, destination.id, segments(dst)[-1])
            self.runtime.tree_changed(conn)
            record_change(
                self.runtime,
                conn,
                principal,
                "move",
                src,
                moved,
                parent_id=source.entry.parent_id,
                target=dst,
            )
            return file_info(moved, dst)

    @audited("restrict")
    def set_restricted(self, principal: Principal, path: str, restricted: bool) -> FileInfo:
        """Stop (or resume) grants from above at this directory; owners keep access."""
        path = normalize(path)
        if not isinstance(restricted, bool):
            raise NexusValidationError("restricted must be true or false", code="invalid_argument")
        with self.runtime.db.write() as conn:
            resolved = self.access.find(conn, principal, path)
            _protect_structure(path, "restrict")
            self.access.require(conn, principal, "owner", resolved.entry, path)
            if not resolved.entry.is_directory:
                raise NexusValidationError(
                    f"only directories can be restricted: {path}",
                    path=path,
                    code="not_a_directory",
                )
            updated = self.runtime.tree.set_restricted(conn, resolved.entry.id, restricted)
            self.runtime.tree_changed(conn)
            action = "restrict" if restricted else "unrestrict"
            record_change(self.runtime, conn, principal, action, path, updated)
            return file_info(updated, path)
