"""Removing a subtree together with every grant that hangs on its ids."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from nexus.authz import RelationshipFilter
from nexus.files.runtime import Runtime
from nexus.metadata import Entry


def remove_subtree(
    runtime: Runtime, conn: Connection, entry: Entry, below: Sequence[Entry] | None = None
) -> int:
    """Delete ``entry`` and everything below it; returns how many entries went.

    ``below``: its descendants, when the caller already walked the tree to check them.
    """
    if below is None:
        below = runtime.tree.descendants(conn, entry.id)
    doomed = [entry, *below]
    runtime.tree.delete(conn, [e.id for e in doomed])
    for gone in doomed:
        # The id dies with the entry: no grant survives to reach a later namesake.
        runtime.engine.delete(conn, RelationshipFilter(object_type="file", object_id=str(gone.id)))
    return len(doomed)
