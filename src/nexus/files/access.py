"""Who may touch which entry, and the 403/404 rule.

A caller *sees* an entry when it may read it (namespace roots are seen by everyone). An
entry the caller cannot see looks exactly like an absent one: the answer is "not found" when
the caller sees the parent directory and "permission denied" when it does not, whether or
not the target exists. So no answer tells a caller about something it cannot see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from nexus.errors import NexusFileNotFoundError, NexusPermissionError
from nexus.files.namespaces import is_root, session_id_of
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime, file_ref, file_refs, user_ref
from nexus.metadata import Entry
from nexus.paths import parent, segments


def denied(path: str) -> NexusPermissionError:
    return NexusPermissionError(f"permission denied: {path}", path=path)


def not_found(path: str) -> NexusFileNotFoundError:
    return NexusFileNotFoundError(f"no such file or directory: {path}", path=path)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A path and what of it exists: ``chain`` runs from the root to the deepest entry."""

    path: str
    chain: list[Entry]

    @property
    def exists(self) -> bool:
        return len(self.chain) == len(segments(self.path)) + 1

    @property
    def entry(self) -> Entry:
        return self.chain[-1]

    @property
    def parent(self) -> Entry | None:
        """The entry that is (or would be) the parent of the path, if it exists."""
        depth = len(segments(self.path))
        if depth == 0 or len(self.chain) < depth:
            return None
        return self.chain[depth - 1]

    @property
    def missing(self) -> list[str]:
        """Names of the path that do not exist yet, below the deepest existing entry."""
        return segments(self.path)[len(self.chain) - 1 :]


class Access:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def resolve(self, conn: Connection, path: str) -> Resolved:
        resolved = Resolved(path, self.runtime.tree.resolve(conn, path))
        return self._without_expired_session(conn, resolved)

    def _without_expired_session(self, conn: Connection, resolved: Resolved) -> Resolved:
        # An expired session is gone for every reader even before the sweeper removes it.
        if len(resolved.chain) >= 3 and self.is_expired_session(conn, resolved.path):
            return Resolved(resolved.path, resolved.chain[:2])
        return resolved

    def is_expired_session(self, conn: Connection, path: str) -> bool:
        """Whether ``path`` lies in a session that has expired (or has no record)."""
        session_id = session_id_of(path)
        if session_id is None:
            return False
        session = self.runtime.sessions.get(conn, session_id)
        return session is None or session.is_expired(self.runtime.now())

    def can(self, conn: Connection, principal: Principal, relation: str, entry: Entry) -> bool:
        if principal.is_admin:
            return True
        return self.runtime.engine.check(
            conn, user_ref(principal.user_id), relation, file_ref(entry.id)
        )

    def can_many(
        self, conn: Connection, principal: Principal, relation: str, entries: Sequence[Entry]
    ) -> list[bool]:
        if principal.is_admin:
            return [True] * len(entries)
        objects = file_refs(entries)
        answers = self.runtime.engine.check_many(
            conn, user_ref(principal.user_id), relation, objects
        )
        return list(map(answers.__getitem__, objects))

    def sees(self, conn: Connection, principal: Principal, path: str, entry: Entry) -> bool:
        return is_root(path) or self.can(conn, principal, "can_read", entry)

    def parent_seen(self, conn: Connection, principal: Principal, resolved: Resolved) -> bool:
        parent_entry = resolved.parent
        if parent_entry is None:
            return False
        return self.sees(conn, principal, parent(resolved.path), parent_entry)

    def hidden(self, conn: Connection, principal: Principal, resolved: Resolved) -> Exception:
        """The error for a target that is absent or unseen (the 403/404 rule)."""
        if self.parent_seen(conn, principal, resolved):
            return not_found(resolved.path)
        return denied(resolved.path)

    def find(self, conn: Connection, principal: Principal, path: str) -> Resolved:
        """The existing entry at ``path`` if the caller sees it; else the rule's error."""
        resolved = self.resolve(conn, path)
        if resolved.exists and self.sees(conn, principal, path, resolved.entry):
            return resolved
        raise self.hidden(conn, principal, resolved)

    def require(
        self, conn: Connection, principal: Principal, relation: str, entry: Entry, path: str
    ) -> None:
        if not self.can(conn, principal, relation, entry):
            raise denied(path)
