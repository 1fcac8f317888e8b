"""The kept versions of files: listing, locking one for a restore, pruning, blob references.

Every write adds a ``versions`` row (the current version has one too, the same as the
entry's content), keyed by the entry's stable id: a rename keeps the history, a delete drops
it. Every function runs in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, ScalarSelect, and_, delete, func, select

from nexus.db.tables import entries, versions
from nexus.metadata.entry import Version

# Digests per IN list when asking which blobs are still referenced.
_DIGEST_CHUNK = 500


def _version(row: Any) -> Version:
    return Version(
        entry_id=int(row.entry_id),
        version=int(row.version),
        blob_hash=row.blob_hash,
        size=int(row.size),
        created_at=float(row.created_at),
        created_by=row.created_by,
    )


def list_versions(conn: Connection, entry_id: int) -> list[Version]:
    """Every kept version of an entry, newest first."""
    rows = conn.execute(
        select(versions).where(versions.c.entry_id == entry_id).order_by(versions.c.version.desc())
    )
    return [_version(row) for row in rows]


def lock_version(conn: Connection, entry_id: int, version: int) -> Version | None:
    """Read one version and hold its row until commit, so a concurrent retention sweep
    cannot delete it (and free its blob) before a restore that points at it commits.
    PostgreSQL locks the row; SQLite's write transactions are serial anyway."""
    row = conn.execute(
        select(versions)
        .where(and_(versions.c.entry_id == entry_id, versions.c.version == version))
        .with_for_update()
    ).first()
    return None if row is None else _version(row)


def _current_version() -> ScalarSelect[int]:
    """The version number an entry is at, for the ``versions`` row being looked at."""
    return select(entries.c.version).where(entries.c.id == versions.c.entry_id).scalar_subquery()


def prune_beyond_count(conn: Connection, keep_last: int) -> int:
    """Delete versions more than ``keep_last - 1`` behind their entry's current version
    (``keep_last`` counts the current one, so it always stays); returns how many went."""
    if keep_last < 1:
        raise ValueError("keep_last counts the current version: at least 1")
    result = conn.execute(
        delete(versions).where(versions.c.version <= _current_version() - keep_last)
    )
    return int(result.rowcount)


def prune_superseded_before(conn: Connection, cutoff: float) -> int:
    """Delete versions that stopped being current before ``cutoff``: a version's age is
    counted from the write that replaced it (so editing a file untouched for a year still
    leaves the year-old version to go back to). The current version always stays."""
    later = versions.alias("later")
    replaced_at = (
        select(func.min(later.c.created_at))
        .where(and_(later.c.entry_id == versions.c.entry_id, later.c.version > versions.c.version))
        .scalar_subquery()
    )
    result = conn.execute(
        delete(versions).where(and_(versions.c.version < _current_version(), replaced_at < cutoff))
    )
    return int(result.rowcount)


def referenced_digests(conn: Connection, digests: Sequence[str]) -> set[str]:
    """Which of ``digests`` an entry or a kept version still points at."""
    found: set[str] = set()
    for start in range(0, len(digests), _DIGEST_CHUNK):
        chunk = list(digests[start : start + _DIGEST_CHUNK])
        found.update(
            conn.execute(
                select(versions.c.blob_hash).where(versions.c.blob_hash.in_(chunk)).distinct()
            ).scalars()
        )
        # The entry's own column, too: a crash or a future change must not make the
        # current content collectable just because its version row went missing.
        rest = [digest for digest in chunk if digest not in found]
        if rest:
            found.update(
                conn.execute(
                    select(entries.c.blob_hash).where(entries.c.blob_hash.in_(rest)).distinct()
                ).scalars()
            )
    return found
