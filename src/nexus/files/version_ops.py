"""A file's history: listing its kept versions and restoring one as a new version."""

from __future__ import annotations

from nexus.api.models import FileInfo, VersionInfo, VersionList
from nexus.errors import NexusConflictError, NexusValidationError
from nexus.files.access import Access, denied
from nexus.files.activity import audited, record_change
from nexus.files.convert import file_info
from nexus.files.lock_ops import require_unlocked
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime
from nexus.files.timestamps import iso
from nexus.files.validation import optional_version
from nexus.metadata import Entry, Version
from nexus.metadata.history import list_versions, lock_version
from nexus.paths import normalize


def _only_files(entry: Entry, path: str) -> None:
    if entry.is_directory:
        raise NexusValidationError(
            f"is a directory: {path} (only files have versions)", path=path, code="is_a_directory"
        )


def _unknown_version(path: str, version: int) -> NexusValidationError:
    return NexusValidationError(
        f"{path} has no version {version} (never written, or removed by retention)",
        path=path,
        code="unknown_version",
    )


def version_info(version: Version, current: int) -> VersionInfo:
    return VersionInfo(
        version=version.version,
        size=version.size,
        etag=version.blob_hash,
        created=iso(version.created_at),
        created_by=version.created_by,
        current=version.version == current,
    )


class VersionOperations:
    def __init__(self, runtime: Runtime, access: Access):
        self.runtime = runtime
        self.access = access

    @audited("versions")
    def list_versions(self, principal: Principal, path: str) -> VersionList:
        """Every kept version of a file, newest first; anyone who may read the file."""
        path = normalize(path)
        with self.runtime.db.read() as conn:
            entry = self.access.find(conn, principal, path).entry
            _only_files(entry, path)
            kept = list_versions(conn, entry.id)
        return VersionList(
            path=path, versions=[version_info(version, entry.version) for version in kept]
        )

    @audited("restore")
    def restore_version(
        self, principal: Principal, path: str, version: int, *, if_version: int | None = None
    ) -> FileInfo:
        """Make version ``version``'s content the file's next version (writers only); the
        history stays as it was, plus the new version. ``if_version`` as for a write."""
        path = normalize(path)
        wanted = optional_version("version", version, minimum=1)
        if wanted is None:
            raise NexusValidationError("version is required", code="invalid_version")
        if_version = optional_version("if_version", if_version, minimum=0)
        with self.runtime.db.write() as conn:
            resolved = self.access.find(conn, principal, path)
            if not self.access.can(conn, principal, "can_write", resolved.entry):
                raise denied(path)
            _only_files(resolved.entry, path)
            current = self.runtime.tree.lock_for_update(conn, resolved.entry.id)
            assert current is not None
            require_unlocked(self.runtime, conn, principal, "restore", path, [current])
            if if_version is not None and current.version != if_version:
                raise NexusConflictError(
                    f"{path} is at version {current.version}, not {if_version}", path=path
                )
            # Locked, so retention cannot free its blob before our new version refers to it.
            source = lock_version(conn, current.id, wanted)
            if source is None:
                raise _unknown_version(path, wanted)
            updated = self.runtime.tree.set_content(
                conn,
                current,
                blob_hash=source.blob_hash,
                size=source.size,
                written_by=principal.user_id,
                now=self.runtime.now(),
            )
            if updated is None:
                raise NexusConflictError(f"{path} changed while restoring; try again", path=path)
            details = {"version": updated.version, "size": updated.size, "restored": wanted}
            record_change(self.runtime, conn, principal, "restore", path, updated, details=details)
            return file_info(updated, path)
