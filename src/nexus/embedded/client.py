"""EmbeddedClient: NexusClient over an in-process NexusService."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, cast

from pydantic import BaseModel

from nexus.api.models import READ_METADATA_KEYS, FileInfo
from nexus.client import activity_arguments as activity_check
from nexus.client import arguments as check
from nexus.client.interface import Content, Data, NexusClient, Record
from nexus.config import DEFAULT_DATA_DIR, ClientSettings, ServerSettings
from nexus.errors import NexusError
from nexus.files import SYSTEM, NexusService, Principal, open_service


def _dump(model: BaseModel) -> Record:
    return model.model_dump()


def _dump_all(models: list[Any]) -> list[Record]:
    return [model.model_dump() for model in models]


# A file's info already is a plain dict, made afresh by the service for this call (see
# nexus.files.convert.file_info) and held by no one else: handed over as is, no copy.
# The casts only tell mypy that a TypedDict is a dict.
def _file(info: FileInfo) -> Record:
    return cast(Record, info)


def _files(infos: list[FileInfo]) -> list[Record]:
    return cast(list[Record], infos)


class EmbeddedClient(NexusClient):
    """Acts as the key's user when given an API key, else as the local ``system`` admin."""

    def __init__(self, service: NexusService, api_key: str | None, *, owns_service: bool):
        self._service = service
        self._api_key = api_key
        self._owns_service = owns_service
        self._closed = False
        self._principal  # noqa: B018 - a bad key fails at connect, as over HTTP on first use

    @property
    def _principal(self) -> Principal:
        # Re-checked on every call, like every HTTP request: a revoked or expired key, or a
        # disabled user, stops working at once on clients that are already open.
        if self._api_key is None:
            return SYSTEM
        return self._svc.auth.authenticate(self._api_key)

    @property
    def _svc(self) -> NexusService:
        if self._closed:
            raise NexusError("this Nexus client is closed")
        return self._service

    def close(self) -> None:
        if not self._closed and self._owns_service:
            self._service.close()
        self._closed = True

    def __repr__(self) -> str:
        return f"EmbeddedClient(data_dir={str(self._service.runtime.settings.data_dir)!r})"

    # --- files --------------------------------------------------------------------------

    def mkdir(self, path: str, parents: bool = True, exist_ok: bool = True) -> Record:
        return _file(
            self._svc.files.mkdir(
                self._principal,
                check.path(path),
                check.boolean(parents, "parents"),
                check.boolean(exist_ok, "exist_ok"),
            )
        )

    def write(
        self,
        path: str,
        data: Content,
        *,
        if_version: int | None = None,
        if_none_match: bool = False,
    ) -> Record:
        info = self._svc.files.write(
            self._principal,
            check.file_path(path),
            check.content(data),
            if_version=check.optional_integer(if_version, "if_version", minimum=0),
            if_none_match=check.boolean(if_none_match, "if_none_match"),
        )
        return _file(info)

    def read(
        self,
        path: str,
        *,
        version: int | None = None,
        offset: int | None = None,
        length: int | None = None,
    ) -> bytes:
        path = check.path(path)
        wanted = check.optional_integer(version, "version", minimum=1)
        content, _info = self._svc.files.read(
            self._principal,
            path,
            wanted,
            offset=check.optional_integer(offset, "offset", minimum=0),
            length=check.optional_integer(length, "length", minimum=0),
        )
        return content

    def read_to(self, path: str, destination: IO[bytes], *, version: int | None = None) -> int:
        path = check.path(path)
        wanted = check.optional_integer(version, "version", minimum=1)
        written = 0
        for chunk in self._svc.files.open(self._principal, path, wanted).chunks():
            destination.write(chunk)
            written += len(chunk)
        return written

    def read_with_metadata(self, path: str) -> Record:
        content, info = self._svc.files.read(self._principal, check.path(path))
        described = _file(info)
        return {"content": content, "metadata": {key: described[key] for key in READ_METADATA_KEYS}}

    def exists(self, path: str) -> bool:
        return self._svc.files.exists(self._principal, check.path(path))

    def stat(self, path: str) -> Record:
        return _file(self._svc.files.stat(self._principal, check.path(path)))

    def delete(self, path: str, *, recursive: bool = False) -> None:
        self._svc.files.delete(
            self._principal, check.path(path), check.boolean(recursive, "recursive")
        )

    def append(self, path: str, data: Data) -> Record:
        return _file(
            self._svc.files.append(self._principal, check.file_path(path), check.data(data))
        )

    def list_files(self, path: str = "/", recursive: bool = False) -> list[Record]:
        entries = self._svc.files.list(
            self._principal, check.path(path), check.boolean(recursive, "recursive")
        )
        return _files(entries)

    def move(self, src: str, dst: str) -> Record:
        return _file(
            self._svc.files.move(self._principal, check.path(src, "src"), check.destination(dst))
        )

    def copy(self, src: str, dst: str) -> Record:
        return _file(
            self._svc.copies.copy(self._principal, check.path(src, "src"), check.destination(dst))
        )

    def set_restricted(self, path: str, restricted: bool = True) -> Record:
        return _file(
            self._svc.files.set_restricted(
                self._principal, check.path(path), check.boolean(restricted, "restricted")
            )
        )

    # --- versions -----------------------------------------------------------------------

    def list_versions(self, path: str) -> list[Record]:
        listing = self._svc.versions.list_versions(self._principal, check.path(path))
        return _dump_all(listing.versions)

    def restore_version(self, path: str, version: int, *, if_version: int | None = None) -> Record:
        info = self._svc.versions.restore_version(
            self._principal,
            check.path(path),
            check.integer(version, "version", minimum=1),
            if_version=check.optional_integer(if_version, "if_version", minimum=0),
        )
        return _file(info)

    # --- permissions --------------------------------------------------------------------

    def grant_permission(
        self, subject_type: str, subject_id: str, object_type: str, object_id: str, relation: str
    ) -> Record:
        request = check.permission(subject_type, subject_id, object_type, object_id, relation)
        return _dump(self._svc.permissions.grant(self._principal, **request))

    def revoke_permission(
        self, subject_type: str, subject_id: str, object_type: str, object_id: str, relation: str
    ) -> Record:
        request = check.permission(subject_type, subject_id, object_type, object_id, relation)
        return _dump(self._svc.permissions.revoke(self._principal, **request))

    def check_permission_record(
        self, subject_type: str, subject_id: str, object_type: str, object_id: str, relation: str
    ) -> Record:
        request = check.permission(subject_type, subject_id, object_type, object_id, relation)
        return _dump(self._svc.permissions.check(self._principal, **request))

    def list_permissions(
        self,
        object_type: str | None = None,
        object_id: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        relation: str | None = None,
    ) -> list[Record]:
        found = self._svc.permissions.list(
            self._principal,
            object_type=check.optional_text(object_type, "object_type"),
            object_id=check.optional_relationship_object(object_type, object_id),
            subject_type=check.optional_text(subject_type, "subject_type"),
            subject_id=check.optional_text(subject_id, "subject_id"),
            relation=check.optional_text(relation, "relation"),
        )
        return _dump_all(found)

    def check_permissions_record(self, checks: Sequence[Mapping[str, str]]) -> Record:
        requests = check.permission_requests(checks, "checks")
        return _dump(self._svc.rebac.check_batch(self._principal, requests))

    def list_objects_record(
        self,
        relation: str,
        path: str = "/",
        subject_type: str = "user",
        subject_id: str | None = None,
    ) -> Record:
        return _dump(
            self._svc.rebac.list_objects(
                self._principal,
                check.text(relation, "relation"),
                check.path(path),
                check.text(subject_type, "subject_type"),
                check.optional_text(subject_id, "subject_id"),
            )
        )

    def list_subjects_record(self, path: str, relation: str, expand_groups: bool = False) -> Record:
        return _dump(
            self._svc.rebac.list_subjects(
                self._principal,
                check.path(path),
                check.text(relation, "relation"),
                check.boolean(expand_groups, "expand_groups"),
            )
        )

    def expand_permission_record(self, path: str, relation: str) -> Record:
        return _dump(
            self._svc.rebac.expand(
                self._principal, check.path(path), check.text(relation, "relation")
            )
        )

    def write_relationships(self, relationships: Sequence[Mapping[str, str]]) -> Record:
        requests = check.permission_requests(relationships, "relationships")
        return _dump(self._svc.rebac.write_relationships(self._principal, requests))

    def delete_relationships(
        self,
        *,
        object_id: str | None = None,
        relation: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        object_type: str = "file",
    ) -> Record:
        result = self._svc.rebac.delete_relationships(
            self._principal,
            object_type=check.text(object_type, "object_type"),
            object_id=check.optional_relationship_object(object_type, object_id),
            relation=check.optional_text(relation, "relation"),
            subject_type=check.optional_text(subject_type, "subject_type"),
            subject_id=check.optional_text(subject_id, "subject_id"),
        )
        return _dump(result)

    def explain_permission(
        self, subject_type: str, subject_id: str, object_type: str, object_id: str, relation: str
    ) -> Record:
        request = check.permission(subject_type, subject_id, object_type, object_id, relation)
        return _dump(self._svc.explain.explain(self._principal, **request))

    # --- groups -------------------------------------------------------------------------

    def create_group(self, name: str, description: str = "") -> Record:
        return _dump(
            self._svc.groups.create(
                self._principal,
                check.text(name, "name"),
                check.text(description, "description", allow_empty=True),
            )
        )

    def get_group(self, name: str) -> Record:
        return _dump(self._svc.groups.get(self._principal, check.text(name, "group")))

    def delete_group(self, name: str) -> None:
        self._svc.groups.delete(self._principal, check.text(name, "group"))

    def list_groups(self) -> list[Record]:
        return _dump_all(self._svc.groups.list(self._principal))

    def add_user_to_group(self, user_id: str, group: str) -> Record:
        user, name = check.text(user_id, "user_id"), check.text(group, "group")
        return _dump(self._svc.groups.add_user(self._principal, user, name))

    def remove_user_from_group(self, user_id: str, group: str) -> Record:
        user, name = check.text(user_id, "user_id"), check.text(group, "group")
        return _dump(self._svc.groups.remove_user(self._principal, user, name))

    def add_group_to_group(self, member_group: str, group: str) -> Record:
        member, name = check.text(member_group, "member_group"), check.text(group, "group")
        return _dump(self._svc.groups.add_group(self._principal, member, name))

    def remove_group_from_group(self, member_group: str, group: str) -> Record:
        member, name = check.text(member_group, "member_group"), check.text(group, "group")
        return _dump(self._svc.groups.remove_group(self._principal, member, name))

    # --- sessions -----------------------------------------------------------------------

    def create_session(
        self, name: str, description: str | None = None, ttl: int | None = None
    ) -> Record:
        return _dump(
            self._svc.sessions.create(
                self._principal,
                check.text(name, "name"),
                check.optional_text(description, "description", allow_empty=True),
                check.optional_integer(ttl, "ttl", minimum=1),
            )
        )

    def list_sessions(self, all_users: bool = False) -> list[Record]:
        return _dump_all(
            self._svc.sessions.list(self._principal, check.boolean(all_users, "all_users"))
        )

    def delete_session(self, session_id: str) -> None:
        self._svc.sessions.delete(self._principal, check.text(session_id, "session_id"))

    # --- locks --------------------------------------------------------------------------

    def lock_record(self, path: str, ttl: float) -> Record:
        path, ttl = check.path(path), check.lock_ttl(ttl)
        return _dump(self._svc.locks.lock(self._principal, path, ttl))

    def unlock(self, path: str, token: str | None) -> None:
        path = check.path(path)
        self._svc.locks.unlock(
            self._principal, path, None if token is None else check.lock_token(token)
        )

    def extend_lock(self, path: str, token: str, ttl: float) -> Record:
        path, token, ttl = check.path(path), check.lock_token(token), check.lock_ttl(ttl)
        return _dump(self._svc.locks.extend(self._principal, path, token, ttl))

    def lock_info(self, path: str) -> Record:
        return _dump(self._svc.locks.info(self._principal, check.path(path)))

    # --- identity and admin -------------------------------------------------------------

    def whoami(self) -> Record:
        return _dump(self._svc.whoami(self._principal))

    def create_user(self, user_id: str, name: str, email: str, admin: bool = False) -> Record:
        return _dump(
            self._svc.admin.create_user(
                self._principal,
                check.text(user_id, "user_id"),
                check.text(name, "name"),
                check.text(email, "email"),
                check.boolean(admin, "admin"),
            )
        )

    def list_users(self) -> list[Record]:
        return _dump_all(self._svc.admin.list_users(self._principal))

    def update_user(
        self, user_id: str, *, disabled: bool | None = None, admin: bool | None = None
    ) -> Record:
        return _dump(
            self._svc.admin.update_user(
                self._principal,
                check.text(user_id, "user_id"),
                disabled=check.optional_boolean(disabled, "disabled"),
                admin=check.optional_boolean(admin, "admin"),
            )
        )

    def delete_user(self, user_id: str) -> None:
        self._svc.admin.delete_user(self._principal, check.text(user_id, "user_id"))

    def create_api_key(
        self, user_id: str, description: str = "", expires_in: int | None = None
    ) -> Record:
        return _dump(
            self._svc.admin.create_api_key(
                self._principal,
                check.text(user_id, "user_id"),
                check.text(description, "description", allow_empty=True),
                check.optional_integer(expires_in, "expires_in", minimum=1),
            )
        )

    def list_api_keys(self, user_id: str | None = None) -> list[Record]:
        wanted = check.optional_text(user_id, "user_id")
        return _dump_all(self._svc.admin.list_api_keys(self._principal, wanted))

    def revoke_api_key(self, key_id: str) -> Record:
        return _dump(self._svc.admin.revoke_api_key(self._principal, check.text(key_id, "key_id")))

    def collect_garbage(self) -> Record:
        return _dump(self._svc.maintenance.collect_garbage(self._principal))

    def activity(self, path: str = "/", limit: int = 100, before: int | None = None) -> Record:
        page = self._svc.activity.activity(
            self._principal,
            check.path(path),
            activity_check.limit(limit),
            activity_check.before(before),
        )
        return _dump(page)

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
        page = self._svc.activity.audit(
            self._principal,
            user=activity_check.text(user, "user"),
            path=None if path is None else check.path(path),
            action=activity_check.text(action, "action"),
            outcome=activity_check.text(outcome, "outcome"),
            since=activity_check.moment(since, "since"),
            until=activity_check.moment(until, "until"),
            limit=activity_check.limit(limit),
            before=activity_check.before(before),
        )
        return _dump(page)


def open_embedded(settings: ClientSettings) -> EmbeddedClient:
    """Open the store in ``settings.data_dir`` (default ./nexus-data) in this process."""
    data_dir = settings.data_dir or Path(DEFAULT_DATA_DIR)
    service = open_service(ServerSettings.from_env(data_dir=data_dir))
    try:
        return EmbeddedClient(service, settings.api_key, owns_service=True)
    except BaseException:
        service.close()
        raise
