"""Removing a subtree together with every grant that hangs on its ids."""

from __future__ import annotations

from sqlalchemy import Connection

from nexus.authz import RelationshipFilter
from nexus.files.runtime import Runtime
from nexus.metadata import Entry


def remove_subtree(runtime: Runtime, conn: Connection, entry: Entry) -> int:
    """Delete ``entry`` and everything below it; returns how many entries went."""
    doomed = [entry, *runtime.tree.descendants(conn, entry.id)]
    runtime.tree.delete(conn, [e.id for e in doomed])
    for gone in doomed:
        # The id dies with the entry: no grant survives to reach a later namesake.
        runtime.engine.delete(conn, RelationshipFilter(object_type="file", object_id=str(gone.id)))
    return len(doomed)
