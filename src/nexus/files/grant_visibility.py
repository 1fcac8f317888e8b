"""Whose grants a caller may be shown (decision 6): the grants on an entry are for those who
can read it. Explain, expand and list_subjects all walk the folders an entry inherits from;
on a folder the caller cannot read they show none of its grants (nor whether it is
restricted). Admins see everything; namespace roots are seen by everyone."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

from nexus.authz import ObjectRef
from nexus.files.access import Access
from nexus.files.namespaces import is_root
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime
from nexus.files.schema import OBJECT_TYPE_FILE


class GrantVisibility:
    """Memoised for one read transaction; ``preload`` decides many objects in one check."""

    def __init__(self, runtime: Runtime, access: Access, conn: Connection, principal: Principal):
        self.runtime = runtime
        self.access = access
        self.conn = conn
        self.principal = principal
        self._hidden: dict[ObjectRef, bool] = {}

    def preload(self, objects: Iterable[ObjectRef]) -> None:
        todo = {
            obj
            for obj in objects
            if obj.type == OBJECT_TYPE_FILE and obj not in self._hidden and obj.id.isdigit()
        }
        if not todo or self.principal.is_admin:
            return
        tree = self.runtime.tree
        paths = tree.paths_of_many(self.conn, (int(obj.id) for obj in todo))
        entries = tree.get_many(self.conn, paths.keys())
        asked = [obj for obj in todo if int(obj.id) in entries and not is_root(paths[int(obj.id)])]
        readable = self.access.can_many(
            self.conn, self.principal, "can_read", [entries[int(obj.id)] for obj in asked]
        )
        for obj in todo:
            self._hidden[obj] = int(obj.id) not in entries
        self._hidden.update((obj, not seen) for obj, seen in zip(asked, readable, strict=True))

    def hides(self, obj: ObjectRef) -> bool:
        """Whether the grants on ``obj`` (a file) are kept from the caller; never for groups,
        whose members every signed-in user may list (decision 7)."""
        if self.principal.is_admin or obj.type != OBJECT_TYPE_FILE:
            return False
        if obj not in self._hidden:
            if not obj.id.isdigit():
                self._hidden[obj] = True
            else:
                self.preload([obj])
        return self._hidden[obj]
