"""The one client interface: the HTTP client and the embedded client both implement it.

Every method returns plain data: dicts are ``model_dump()`` of the wire models in
:mod:`nexus.api.models` (named in each docstring; ``FileInfo`` is a TypedDict, a dict
already), so both modes return the same shapes and raise the same :mod:`nexus.errors`
exceptions. Each call returns new dicts, the caller's to keep or change.

Checks and lookups come twice: ``check_permission`` & co. return the bare answer (a bool, a
list), and the ``..._record`` method each is built on returns the whole wire record, with
the relationship ``revision`` it was evaluated at. Clients implement only the records.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import IO, Any, Self

Record = dict[str, Any]
# File content: bytes-like; str is rejected (encode text first).
Data = bytes | bytearray | memoryview
# Content to write: bytes-like, or streamed from a binary file object or an iterable of
# bytes-like chunks (sent as it is read: a file of any size, in little memory).
Content = Data | IO[bytes] | Iterable[Data]


class NexusClient(ABC):
    """A connection to one Nexus store, acting as one identity."""

    # --- lifecycle ----------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None:
        """Release connections; calling it twice is harmless."""

    # --- files --------------------------------------------------------------------------

    @abstractmethod
    def mkdir(self, path: str, parents: bool = True, exist_ok: bool = True) -> Record:
        """Create a directory; returns FileInfo."""

    @abstractmethod
    def write(
        self,
        path: str,
        data: Content,
        *,
        if_version: int | None = None,
        if_none_match: bool = False,
    ) -> Record:
        """Write a whole file (a new version); returns FileInfo. ``data`` is bytes, or a
        binary file object or an iterable of byte chunks, streamed (nothing is written
        unless all of it arrives).

        ``if_version``: only if the current version is this one (else NexusConflictError);
        ``if_none_match``: only if nothing exists at ``path`` (else NexusFileExistsError).
        """

    @abstractmethod
    def read(
        self,
        path: str,
        *,
        version: int | None = None,
        offset: int | None = None,
        length: int | None = None,
    ) -> bytes:
        """The content of a file (of ``version`` when given): ``length`` bytes (to the end
        when None) from ``offset`` (default 0), like a file's ``seek`` then ``read``: a
        range past the end gives what is there, b"" from the end on."""

    @abstractmethod
    def read_to(self, path: str, destination: IO[bytes], *, version: int | None = None) -> int:
        """Write a file's content (of ``version`` when given) to a binary file object in
        chunks, without holding it in memory; returns the number of bytes written."""

    @abstractmethod
    def read_with_metadata(self, path: str) -> Record:
        """``{"content": bytes, "metadata": {version, etag, size, modified, owner, path,
        created, type}}``; the metadata describes exactly the version returned."""

    @abstractmethod
    def exists(self, path: str) -> bool:
        """Whether something the caller may see is at ``path``."""

    @abstractmethod
    def stat(self, path: str) -> Record:
        """FileInfo of a file or directory."""

    @abstractmethod
    def delete(self, path: str, *, recursive: bool = False) -> None:
        """Delete a file, or a directory (non-empty ones only with ``recursive``)."""

    @abstractmethod
    def append(self, path: str, data: Data) -> Record:
        """Append atomically (creating the file if missing); returns FileInfo."""

    @abstractmethod
    def list_files(self, path: str = "/", recursive: bool = False) -> list[Record]:
        """FileInfo of the entries below ``path`` that the caller may read."""

    @abstractmethod
    def move(self, src: str, dst: str) -> Record:
        """Rename or move; returns FileInfo at ``dst``."""

    @abstractmethod
    def copy(self, src: str, dst: str) -> Record:
        """Copy a file, or a directory with everything below it that you may read, to the
        new path ``dst``; returns FileInfo of the copy. The copy is yours, at version 1,
        with none of the source's history, grants or locks. An existing ``dst``:
        NexusFileExistsError; ``dst`` inside ``src``: NexusValidationError
        ``copy_into_itself``; more than 10,000 entries: ``copy_too_large``."""

    @abstractmethod
    def set_restricted(self, path: str, restricted: bool = True) -> Record:
        """Stop (or resume) grants from above at this directory; returns FileInfo."""

    # --- versions -----------------------------------------------------------------------

    @abstractmethod
    def list_versions(self, path: str) -> list[Record]:
        """VersionInfo of every kept version of a file, newest first (anyone who may read
        it): ``{version, size, etag, created, created_by, current}``."""

    @abstractmethod
    def restore_version(self, path: str, version: int, *, if_version: int | None = None) -> Record:
        """Write ``version``'s content as the file's next version (the history stays);
        returns FileInfo. Unknown version: NexusValidationError ``unknown_version``."""

    # --- permissions --------------------------------------------------------------------

    @abstractmethod
    def grant_permission(
        self,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> Record:
        """Add ``object#relation@subject``; returns GrantResult (created=False if it existed)."""

    @abstractmethod
    def revoke_permission(
        self,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> Record:
        """Remove a relationship; returns RevokeResult. NexusFileNotFoundError (reason
        ``relationship_not_found``) when there was none."""

    def check_permission(
        self,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> bool:
        """Whether the subject has the relation (directly, by inheritance or by group)."""
        record = self.check_permission_record(
            subject_type, subject_id, object_type, object_id, relation
        )
        return bool(record["allowed"])

    @abstractmethod
    def check_permission_record(
        self,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> Record:
        """:meth:`check_permission` as CheckResult ``{allowed, revision}``."""

    @abstractmethod
    def list_permissions(
        self,
        object_type: str | None = None,
        object_id: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        relation: str | None = None,
    ) -> list[Record]:
        """Stored relationships matching every given filter (PermissionRecord each)."""

    def read_relationships(
        self,
        object_type: str | None = None,
        object_id: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        relation: str | None = None,
    ) -> list[Record]:
        """The same as :meth:`list_permissions` (the name pairs with write/delete)."""
        return self.list_permissions(object_type, object_id, subject_type, subject_id, relation)

    def check_permissions(self, checks: Sequence[Mapping[str, str]]) -> list[bool]:
        """Many checks at one revision, answers in order. Each check is a dict with
        subject_type, subject_id, relation, object_id (a path) and optionally object_type
        ("file"); each follows the rules of :meth:`check_permission`. At most 1000."""
        return [bool(answer) for answer in self.check_permissions_record(checks)["results"]]

    @abstractmethod
    def check_permissions_record(self, checks: Sequence[Mapping[str, str]]) -> Record:
        """:meth:`check_permissions` as BatchCheckResult ``{results, revision}``."""

    def list_objects(
        self,
        relation: str,
        path: str = "/",
        subject_type: str = "user",
        subject_id: str | None = None,
    ) -> list[str]:
        """Sorted paths at or below ``path`` on which the subject (default: yourself) has
        ``relation``. Non-admins may ask about themselves, ``user *`` and their groups."""
        paths: list[str] = self.list_objects_record(relation, path, subject_type, subject_id)[
            "paths"
        ]
        return paths

    @abstractmethod
    def list_objects_record(
        self,
        relation: str,
        path: str = "/",
        subject_type: str = "user",
        subject_id: str | None = None,
    ) -> Record:
        """:meth:`list_objects` as ObjectList ``{paths, revision}``."""

    def list_subjects(self, path: str, relation: str, expand_groups: bool = False) -> list[Record]:
        """Who has ``relation`` on ``path``: SubjectInfo ``{subject_type, subject_id}`` each
        (``user *``: every user). Users and groups by default; users only, members of
        (nested) groups included, with ``expand_groups``."""
        subjects: list[Record] = self.list_subjects_record(path, relation, expand_groups)[
            "subjects"
        ]
        return subjects

    @abstractmethod
    def list_subjects_record(self, path: str, relation: str, expand_groups: bool = False) -> Record:
        """:meth:`list_subjects` as SubjectList ``{subjects, revision}``."""

    def expand_permission(self, path: str, relation: str) -> Record:
        """The userset tree of ``path#relation`` (ExpandTree: kind, object_type, object_id,
        relation, subjects, children, cycle, hidden: a folder the caller cannot read, shown
        without its grants)."""
        tree: Record = self.expand_permission_record(path, relation)["tree"]
        return tree

    @abstractmethod
    def expand_permission_record(self, path: str, relation: str) -> Record:
        """:meth:`expand_permission` as ExpandResult ``{tree, revision}``."""

    @abstractmethod
    def write_relationships(self, relationships: Sequence[Mapping[str, str]]) -> Record:
        """Grant every relationship (dicts as for :meth:`check_permissions`) or none;
        returns WriteRelationshipsResult ``{written, unchanged, revision}``."""

    @abstractmethod
    def delete_relationships(
        self,
        *,
        object_id: str | None = None,
        relation: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        object_type: str = "file",
    ) -> Record:
        """Delete the grants matching every filter given; DeleteRelationshipsResult
        ``{deleted, revision}``. Non-admins must name an object (a path) they own."""

    @abstractmethod
    def explain_permission(
        self,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> Record:
        """Why :meth:`check_permission` with the same arguments answers what it does, under
        the same access rules. ExplainResult: ``allowed`` (always the check's answer),
        ``summary`` (one sentence), ``steps`` (allowed: the granting chain from subject to
        object), ``tried`` (denied: what was evaluated, indented), ``missing`` (denied: the
        nearest missing link) and ``revision``."""

    # --- groups -------------------------------------------------------------------------

    @abstractmethod
    def create_group(self, name: str, description: str = "") -> Record:
        """GroupChange: GroupInfo of the new group (the caller becomes its manager) and the
        ``revision`` its manager relationship was written at."""

    @abstractmethod
    def get_group(self, name: str) -> Record:
        """GroupInfo."""

    @abstractmethod
    def delete_group(self, name: str) -> None:
        """Delete a group and its memberships."""

    @abstractmethod
    def list_groups(self) -> list[Record]:
        """GroupInfo of every group."""

    @abstractmethod
    def add_user_to_group(self, user_id: str, group: str) -> Record:
        """GroupChange: GroupInfo after adding the user, and the ``revision`` of the change
        (as ``grant`` answers it)."""

    @abstractmethod
    def remove_user_from_group(self, user_id: str, group: str) -> Record:
        """GroupChange: GroupInfo after removing the user, and the ``revision``."""

    @abstractmethod
    def add_group_to_group(self, member_group: str, group: str) -> Record:
        """GroupChange: GroupInfo after nesting ``member_group`` inside ``group``, and the
        ``revision``."""

    @abstractmethod
    def remove_group_from_group(self, member_group: str, group: str) -> Record:
        """GroupChange: GroupInfo after removing the nested group, and the ``revision``."""

    # --- sessions -----------------------------------------------------------------------

    @abstractmethod
    def create_session(
        self, name: str, description: str | None = None, ttl: int | None = None
    ) -> Record:
        """SessionInfo; its private directory is ``/sessions/{id}/``."""

    @abstractmethod
    def list_sessions(self, all_users: bool = False) -> list[Record]:
        """SessionInfo of the caller's sessions (everyone's with ``all_users``, admins only)."""

    @abstractmethod
    def delete_session(self, session_id: str) -> None:
        """End a session and delete its directory."""

    # --- locks --------------------------------------------------------------------------

    def lock(self, path: str, ttl: float) -> str:
        """Lock a file for ``ttl`` seconds (more than 0, at most the server's maximum,
        default 24 h) and return the lock token, the only key to unlock or extend it.

        Needs write access. While the lock lives, everyone else's writes, appends, deletes
        and moves of the file (or of a folder holding it) raise NexusLockedError; the holder
        writes as usual, without the token. A live lock (anyone's) raises NexusLockedError;
        an expired one is replaced. Directories: NexusValidationError ``is_a_directory``."""
        token: str = self.lock_record(path, ttl)["token"]
        return token

    @abstractmethod
    def lock_record(self, path: str, ttl: float) -> Record:
        """:meth:`lock` as NewLock ``{path, locked, holder, created, expires, token}``."""

    @abstractmethod
    def unlock(self, path: str, token: str | None) -> None:
        """Release your lock. ``token=None`` lets an admin break anyone's lock. A token
        that is not the lock's (or not yours): NexusLockedError ``lock_token_mismatch``;
        no live lock: NexusConflictError ``not_locked``."""

    @abstractmethod
    def extend_lock(self, path: str, token: str, ttl: float) -> Record:
        """Make your live lock expire ``ttl`` seconds from now; returns LockInfo."""

    @abstractmethod
    def lock_info(self, path: str) -> Record:
        """LockInfo ``{path, locked, holder, created, expires}`` (never the token), for
        anyone who may read the file."""

    # --- identity and admin -------------------------------------------------------------

    @abstractmethod
    def whoami(self) -> Record:
        """WhoAmI of the acting identity."""

    @abstractmethod
    def create_user(self, user_id: str, name: str, email: str, admin: bool = False) -> Record:
        """UserInfo (``is_admin`` is also true for the first user of a fresh server)."""

    @abstractmethod
    def list_users(self) -> list[Record]:
        """UserInfo of every user."""

    @abstractmethod
    def update_user(
        self, user_id: str, *, disabled: bool | None = None, admin: bool | None = None
    ) -> Record:
        """UserInfo after the change; None leaves a field as it is."""

    @abstractmethod
    def delete_user(self, user_id: str) -> None:
        """Delete a user and revoke their keys."""

    @abstractmethod
    def create_api_key(
        self, user_id: str, description: str = "", expires_in: int | None = None
    ) -> Record:
        """NewKey ``{"key", "info"}``; the key itself is returned only this once."""

    @abstractmethod
    def list_api_keys(self, user_id: str | None = None) -> list[Record]:
        """KeyInfo of every key (of one user when given)."""

    @abstractmethod
    def revoke_api_key(self, key_id: str) -> Record:
        """KeyInfo of the revoked key."""

    @abstractmethod
    def collect_garbage(self) -> Record:
        """StorageSweep: apply version retention and remove unreferenced blobs now (admins)."""

    # --- activity log -------------------------------------------------------------------

    @abstractmethod
    def activity(self, path: str = "/", limit: int = 100, before: int | None = None) -> Record:
        """ActivityPage ``{events, next_before}``: events at or below ``path`` the caller
        may see (entries it can read now, and its own refused attempts), newest first.
        Pass ``next_before`` back as ``before`` for the next page (None: no more)."""

    @abstractmethod
    def audit(
        self,
        *,
        user: str | None = None,
        path: str | None = None,
        action: str | None = None,
        outcome: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int = 100,
        before: int | None = None,
    ) -> Record:
        """ActivityPage of every event matching the filters (admins): ``user`` is the actor
        (``system`` for the admin socket), ``action`` one of the stable names (file actions
        and admin actions such as ``create_user``, ``revoke_key``, ``add_member``,
        ``audit``), ``since``/``until`` ISO 8601 (UTC unless they carry an offset); ``path``
        matches at or below it (admin actions have no path: ``/`` or no ``path`` finds them).
        Each call is itself recorded as an ``audit`` event."""
