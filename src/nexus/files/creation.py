"""Making new entries: the create permission, inboxes and who owns what is made."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection

from nexus.authz import Relationship, SubjectRef
from nexus.errors import (
    NexusConflictError,
    NexusFileExistsError,
    NexusValidationError,
    shown,
)
from nexus.files.access import Access, Resolved, denied
from nexus.files.namespaces import inbox_path, inbox_user
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime, file_ref, user_ref
from nexus.metadata import DIRECTORY, FILE, Entry
from nexus.paths import name, segments

T = TypeVar("T")


class CreateRaceLost(NexusConflictError):
    """Another transaction created an entry this one was creating, after this one looked.

    PostgreSQL lets concurrent transactions try the same (parent, name); all but the first
    fail on the unique key (SQLite queues writers, so it cannot happen there). Raised out of
    the transaction (rolling it back) for ``retry_create_races`` to run the use case again:
    the second run finds the entry and applies the normal rules to it, so a folder someone
    else just made is used when the caller may see and create in it, and a real clash on
    the target is reported as it would be one call after the other.
    """

    def __init__(self, path: str):
        super().__init__(
            f"{path} was being created by another request at the same time; try again",
            path=path,
            code="create_race",
        )


def retry_create_races(attempt: Callable[[], T]) -> T:
    """Run ``attempt`` (one whole write transaction that may create entries) again for as
    long as it loses creation races.

    Each lost race leaves one more entry along the path committed, so later runs can only
    lose deeper down: the path's depth bounds the runs (unless entries are also being
    deleted, when the caller is asked to try again).
    """
    lost = 0
    while True:
        try:
            return attempt()
        except CreateRaceLost as race:
            lost += 1
            path = race.path or "/"
            if lost > len(segments(path)):
                raise NexusConflictError(
                    f"{path} is changing too fast; try again", path=path
                ) from None


class Creator:
    def __init__(self, runtime: Runtime, access: Access):
        self.runtime = runtime
        self.access = access

    def create(
        self, conn: Connection, principal: Principal, resolved: Resolved, kind: str
    ) -> Entry:
        """Create the missing part of ``resolved.path``: directories, then a ``kind`` leaf.

        Needs ``can_create`` on the deepest existing directory. Everything made is owned by
        the caller, except inside an inbox, where it belongs to the inbox's user. Raises
        ``CreateRaceLost`` when another transaction made one of these entries first: callers
        run their transaction under ``retry_create_races``.
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
            current = self._make(
                conn,
                resolved.path,
                parent_id=current.id,
                name=part,
                kind=kind if is_leaf else DIRECTORY,
                owner=owner,
                now=now,
            )
            # A new id, seen by no other transaction yet: no new revision needed.
            self.runtime.engine.write_on_new_object(
                conn,
                Relationship(
                    file_ref(current.id), "owner", user_ref(owner), now, principal.user_id
                ),
            )
        return current

    def _make(
        self,
        conn: Connection,
        path: str,
        *,
        parent_id: int,
        name: str,
        kind: str,
        owner: str,
        now: float,
    ) -> Entry:
        """One new entry. The name was missing when this transaction resolved ``path``, so
        finding it taken now means a concurrent creator won (see ``CreateRaceLost``)."""
        try:
            return self.runtime.tree.create(
                conn, parent_id=parent_id, name=name, kind=kind, owner=owner, now=now
            )
        except NexusFileExistsError:
            raise CreateRaceLost(path) from None

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
        inbox = self._make(
            conn,
            resolved.path,
            parent_id=resolved.entry.id,
            name=name(inbox_path(user_id)),
            kind=DIRECTORY,
            owner=user_id,
            now=now,
        )
        engine = self.runtime.engine
        owned = Relationship(file_ref(inbox.id), "owner", user_ref(user_id), now)
        engine.write_on_new_object(conn, owned)
        anyone = SubjectRef("user", "*")
        engine.write_on_new_object(
            conn, Relationship(file_ref(inbox.id), "can_create", anyone, now)
        )
        return Resolved(resolved.path, [*resolved.chain, inbox])
