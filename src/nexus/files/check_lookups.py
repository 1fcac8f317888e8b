"""What authorizing a check looks up (the subject, the path, whether the caller sees it),
memoised for one read transaction. A batch of checks preloads its paths in bulk, so a
thousand checks cost a few queries per tree level instead of several per check."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from nexus.authz import SubjectRef
from nexus.files.access import Access, Resolved
from nexus.files.namespaces import is_root
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime
from nexus.files.subjects import subject_ref
from nexus.identity import User


class CheckLookups:
    def __init__(self, runtime: Runtime, access: Access, conn: Connection, principal: Principal):
        self.runtime = runtime
        self.access = access
        self.conn = conn
        self.principal = principal
        self._subjects: dict[tuple[str, str], SubjectRef] = {}
        self._users: dict[str, User | None] = {}
        self._resolved: dict[str, Resolved] = {}
        self._seen: dict[str, bool] = {}
        self._owned: dict[str, bool] = {}

    def subject(self, subject_type: str, subject_id: str) -> SubjectRef:
        key = (subject_type, subject_id)
        if key not in self._subjects:
            self._subjects[key] = subject_ref(self.runtime, self.conn, subject_type, subject_id)
        return self._subjects[key]

    def user(self, user_id: str) -> User | None:
        if user_id not in self._users:
            self._users[user_id] = self.runtime.users.get(self.conn, user_id)
        return self._users[user_id]

    def resolve(self, path: str) -> Resolved:
        if path not in self._resolved:
            self._resolved[path] = self.access.resolve(self.conn, path)
        return self._resolved[path]

    def visible(self, path: str) -> bool:
        """Whether something the caller sees is at ``path``."""
        if path not in self._seen:
            resolved = self.resolve(path)
            self._seen[path] = resolved.exists and self.access.sees(
                self.conn, self.principal, path, resolved.entry
            )
        return self._seen[path]

    def owns(self, path: str) -> bool:
        """Whether the caller owns the entry at ``path`` (which it sees)."""
        if path not in self._owned:
            entry = self.resolve(path).entry
            self._owned[path] = self.access.can(self.conn, self.principal, "owner", entry)
        return self._owned[path]

    def preload(self, paths: Iterable[str], *, ownership: bool = False) -> None:
        """Resolve ``paths`` together and decide with one check_many what the caller sees
        (and, with ``ownership``, which of them it owns)."""
        todo = {path for path in paths if path not in self._resolved}
        for path, chain in self.runtime.tree.resolve_many(self.conn, todo).items():
            # The same expired-session rule as Access.resolve.
            self._resolved[path] = self.access._without_expired_session(
                self.conn, Resolved(path, chain)
            )
        existing = {path: self._resolved[path] for path in todo if self._resolved[path].exists}
        for path in todo - existing.keys():
            self._seen[path] = False
        asked = [path for path in existing if not is_root(path)]
        for path in existing.keys() - set(asked):
            self._seen[path] = True
        answers = self.access.can_many(
            self.conn, self.principal, "can_read", [existing[path].entry for path in asked]
        )
        self._seen.update(zip(asked, answers, strict=True))
        if ownership:
            seen = [path for path in existing if self._seen[path] and path not in self._owned]
            owned = self.access.can_many(
                self.conn, self.principal, "owner", [existing[path].entry for path in seen]
            )
            self._owned.update(zip(seen, owned, strict=True))
