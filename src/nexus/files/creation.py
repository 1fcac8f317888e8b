"""Making new entries: the create permission, inboxes and who owns what is made."""

from __future__ import annotations

from sqlalchemy import Connection

from nexus.authz import Relationship, SubjectRef
from nexus.errors import NexusValidationError, shown
from nexus.files.access import Access, Resolved, denied
from nexus.files.namespaces import inbox_path, inbox_user
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime, file_ref, user_ref
from nexus.metadata import DIRECTORY, FILE, Entry
from nexus.paths import name


class Creator:
    def __init__(self, runtime: Runtime, access: Access):
        self.runtime = runtime
        self.access = access

    def create(
        self, conn: Connection, principal: Principal, resolved: Resolved, kind: str
    ) -> Entry:
        """Create the missing part of ``resolved.path``: directories, then a ``kind`` leaf.

        Needs ``can_create`` on the deepest existing directory. Everything made is owned by
        the caller, except inside an inbox, where it belongs to the inbox's user.
        """
        resolved = self._with_inbox(conn, resolved)
        anchor = resolved.entry
        if not anchor.is_directory:
            if self.access.can(conn, principal, "can_read", anchor):
                raise NexusValidationError(
                    f"not a directory: {shown(anchor.name)} in {resolved.path}",
                    path=resolved.path,
                    code="not_a_directory",
                )
            raise denied(resolved.path)
        if not self.access.can(conn, principal, "can_create", anchor):
            raise denied(resolved.path)
        recipient = inbox_user(resolved.path)
        # Senders drop files straight into the inbox: no folders in someone else's inbox.
        drops_plain_file = kind == FILE and len(resolved.missing) == 1 and len(resolved.chain) == 4
        if (
            recipient is not None
            and not drops_plain_file
            and not self._may_arrange_inbox(conn, principal, anchor)
        ):
            raise denied(resolved.path)
        owner = recipient or principal.user_id
        now = self.runtime.now()
        current = anchor
        missing = resolved.missing
        for index, part in enumerate(missing):
            is_leaf = index == len(missing) - 1
            current = self.runtime.tree.create(
                conn,
                parent_id=current.id,
                name=part,
                kind=kind if is_leaf else DIRECTORY,
                owner=owner,
                now=now,
            )
            self.runtime.engine.write(
                conn,
                Relationship(
                    file_ref(current.id), "owner", user_ref(owner), now, principal.user_id
                ),
            )
        return current

    def _may_arrange_inbox(self, conn: Connection, principal: Principal, anchor: Entry) -> bool:
        """The inbox's user (and admins) may organise it; everyone else only drops files."""
        return self.access.can(conn, principal, "can_write", anchor)

    def _with_inbox(self, conn: Connection, resolved: Resolved) -> Resolved:
        """Make ``/workspace/.notifications/{user}`` on first use, owned by that user.

        Anyone signed in may drop new files there (``can_create`` for ``user:*``); only the
        user reads them.
        """
        user_id = inbox_user(resolved.path)
        if user_id is None or len(resolved.chain) > 3:
            return resolved
        if self.runtime.users.get(conn, user_id) is None:
            raise NexusValidationError(
                f"no user {shown(user_id)} to deliver to", path=resolved.path, code="unknown_user"
            )
        now = self.runtime.now()
        inbox = self.runtime.tree.create(
            conn,
            parent_id=resolved.entry.id,
            name=name(inbox_path(user_id)),
            kind=DIRECTORY,
            owner=user_id,
            now=now,
        )
        engine = self.runtime.engine
        engine.write(conn, Relationship(file_ref(inbox.id), "owner", user_ref(user_id), now))
        anyone = SubjectRef("user", "*")
        engine.write(conn, Relationship(file_ref(inbox.id), "can_create", anyone, now))
        return Resolved(resolved.path, [*resolved.chain, inbox])
