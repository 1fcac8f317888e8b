"""The HTTP client: every :class:`NexusClient` call as one request to a Nexus server."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import IO, Any, TypeVar, cast
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from nexus.api import models
from nexus.client import activity_arguments as activity_check
from nexus.client import arguments as check
from nexus.client.interface import Content, Data, NexusClient, Record
from nexus.errors import (
    ERROR_CLASSES,
    NexusAuthenticationError,
    NexusError,
    NexusFileNotFoundError,
    NexusRateLimitError,
    NexusValidationError,
    error_class_for,
)

ModelT = TypeVar("ModelT", bound=BaseModel)
ParsedT = TypeVar("ParsedT")
QueryValue = str | int
_CLASS_BY_STATUS: dict[int, type[NexusError]] = {cls.http_status: cls for cls in ERROR_CLASSES}
# The local admin socket needs a host name in the URL; it is never resolved.
ADMIN_SOCKET_URL = "http://nexus-admin"


def _segment(value: str, names_nothing: NexusError) -> str:
    """One URL path segment (group name, user id, ...), fully percent-encoded.

    '.', '..' and anything with '/' cannot travel as one segment (the server decodes the path
    before routing). No user, group, session or key is ever named like that, so such a value
    names nothing: raise what the server answers for a name that does not exist.
    """
    if value in (".", "..") or "/" in value:
        raise names_nothing
    return quote(value, safe="")


def _missing(kind: str, value: str) -> NexusFileNotFoundError:
    return NexusFileNotFoundError(
        f"no such {kind}: {value!r}", code=f"{kind.replace(' ', '_')}_not_found"
    )


def _unknown(kind: str, value: str) -> NexusValidationError:
    return NexusValidationError(f"no such {kind}: {value!r}", code=f"unknown_{kind}")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _query(**values: QueryValue | bool | None) -> dict[str, QueryValue]:
    query: dict[str, QueryValue] = {}
    for key, value in values.items():
        if value is None:
            continue
        query[key] = _flag(value) if isinstance(value, bool) else value
    return query


def _unquote_etag(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    return value.strip('"') or None


def _retry_after(response: httpx.Response) -> int:
    """The whole seconds of a ``Retry-After`` header; 1 when it is missing or an HTTP date."""
    value = response.headers.get("retry-after", "").strip()
    return int(value) if value.isdigit() else 1


def _error_detail(response: httpx.Response) -> dict[str, Any] | None:
    """The ``error`` object of an error body, or None when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    detail = body.get("error")
    if not isinstance(detail, dict) or not detail.get("code"):
        return None
    return detail


class HttpClient(NexusClient):
    """Talks to `nexus serve` over HTTP (or over its local admin Unix socket with ``uds``)."""

    def __init__(
        self,
        url: str,
        api_key: str | None,
        *,
        timeout: float = 30.0,
        uds: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        url = check.text(url, "url")
        if not url.startswith(("http://", "https://")):
            raise NexusValidationError(
                f"server URL must start with http:// or https://, got {url!r}",
                code="invalid_argument",
            )
        self.url = url.rstrip("/")
        self.uds = uds
        # What error messages call the server: the socket when there is one.
        self.target = f"admin socket {uds}" if uds else self.url
        headers = {"User-Agent": "nexus-client"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        if transport is None and uds is not None:
            transport = httpx.HTTPTransport(uds=uds)
        self._http = httpx.Client(
            base_url=self.url, headers=headers, timeout=timeout, transport=transport
        )
        self._timeout = timeout

    def close(self) -> None:
        self._http.close()

    def __repr__(self) -> str:
        return f"HttpClient({self.target!r})"

    # --- transport ----------------------------------------------------------------------

    def _request(
        self,
        method: str,
        route: str,
        *,
        params: Mapping[str, QueryValue] | None = None,
        json_body: Mapping[str, Any] | None = None,
        content: bytes | Iterator[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        """One request; with ``stream`` the body of a successful answer is left unread
        (read it with ``_stream_body`` and close the response)."""
        sent_headers = dict(headers or {})
        if content is not None:
            sent_headers["Content-Type"] = "application/octet-stream"
        if self._http.is_closed:
            raise NexusError(f"this client of {self.target} is closed")
        with self._translated_errors():
            request = self._http.build_request(
                method,
                models.API_PREFIX + route,
                params=params,
                json=json_body,
                content=content,
                headers=sent_headers or None,
            )
            response = self._http.send(request, stream=stream)
            if response.is_error and stream:
                response.read()
                response.close()
        if response.is_error:
            raise self._error_from(response)
        return response

    def _stream_body(self, response: httpx.Response) -> Iterator[bytes]:
        """The body of a ``stream=True`` response, chunk by chunk; closes it after."""
        try:
            with self._translated_errors():
                yield from response.iter_bytes()
        finally:
            response.close()

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        """httpx's failures as NexusError with a message that names the server."""
        try:
            yield
        except httpx.TimeoutException:
            raise NexusError(
                f"Nexus server at {self.target} did not answer within {self._timeout:g} seconds"
            ) from None
        except httpx.TransportError as exc:
            raise NexusError(
                f"cannot reach Nexus server at {self.target}: is `nexus serve` running? ({exc})"
            ) from None
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise NexusError(f"request to Nexus server at {self.target} failed: {exc}") from None

    def _error_from(self, response: httpx.Response) -> NexusError:
        detail = _error_detail(response)
        if detail is not None:
            cls = error_class_for(str(detail.get("code") or ""))
            if response.status_code == 401:
                cls = NexusAuthenticationError
            if response.status_code == 429:
                cls = NexusRateLimitError
            message = str(detail.get("message") or f"HTTP {response.status_code}")
            path = str(detail["path"]) if detail.get("path") is not None else None
            reason = str(detail["reason"]) if detail.get("reason") else None
            if cls is NexusRateLimitError:
                return NexusRateLimitError(
                    message, retry_after=_retry_after(response), path=path, code=reason
                )
            return cls(message, path=path, code=reason)
        cls = _CLASS_BY_STATUS.get(response.status_code, NexusError)
        text = response.text.strip()[:200] or response.reason_phrase
        if cls is NexusAuthenticationError:
            return cls(f"the Nexus server at {self.target} rejected the API key: {text}")
        message = f"Nexus server at {self.target} answered HTTP {response.status_code}: {text}"
        if cls is NexusRateLimitError:
            # A 429 without our body (e.g. from a proxy in front) still says when to retry.
            return NexusRateLimitError(message, retry_after=_retry_after(response))
        return cls(message)

    def _parse(
        self, validate_json: Callable[[bytes], ParsedT], expected: str, response: httpx.Response
    ) -> ParsedT:
        try:
            # Parsed and validated in one pass by pydantic-core (a 10,000-entry listing
            # spent more time in json + model_validate than on the wire).
            return validate_json(response.content)
        except (ValidationError, ValueError) as exc:
            raise NexusError(
                f"unexpected answer from Nexus server at {self.target} (expected {expected}): {exc}"
            ) from None

    def _model(self, model: type[ModelT], response: httpx.Response) -> ModelT:
        return self._parse(model.model_validate_json, model.__name__, response)

    def _call(
        self,
        model: type[ModelT],
        method: str,
        route: str,
        *,
        params: Mapping[str, QueryValue] | None = None,
        json_body: Mapping[str, Any] | None = None,
        content: bytes | None = None,
    ) -> ModelT:
        response = self._request(method, route, params=params, json_body=json_body, content=content)
        return self._model(model, response)

    def _file_call(
        self,
        method: str,
        route: str,
        *,
        params: Mapping[str, QueryValue] | None = None,
        json_body: Mapping[str, Any] | None = None,
        content: bytes | Iterator[bytes] | None = None,
    ) -> Record:
        """A call answering with a FileInfo, returned as validated: already a plain dict."""
        response = self._request(method, route, params=params, json_body=json_body, content=content)
        info = self._parse(models.FILE_INFO.validate_json, "FileInfo", response)
        return cast(Record, info)  # a TypedDict is a dict; mypy only calls it a Mapping

    # --- files --------------------------------------------------------------------------

    def mkdir(self, path: str, parents: bool = True, exist_ok: bool = True) -> Record:
        body = models.MkdirRequest(
            path=check.path(path),
            parents=check.boolean(parents, "parents"),
            exist_ok=check.boolean(exist_ok, "exist_ok"),
        )
        return self._file_call("POST", "/files/mkdir", json_body=body.model_dump())

    def write(
        self,
        path: str,
        data: Content,
        *,
        if_version: int | None = None,
        if_none_match: bool = False,
    ) -> Record:
        params = _query(
            path=check.file_path(path),
            if_version=check.optional_integer(if_version, "if_version", minimum=0),
            if_none_match=check.boolean(if_none_match, "if_none_match") or None,
        )
        # An iterator goes out as it is produced (chunked transfer encoding).
        content = check.content(data)
        return self._file_call("PUT", "/files/content", params=params, content=content)

    def _get_content(
        self,
        path: str,
        version: int | None,
        *,
        byte_range: str | None = None,
        stream: bool = False,
    ) -> httpx.Response:
        params = _query(
            path=check.path(path),
            version=check.optional_integer(version, "version", minimum=1),
        )
        headers = {"Range": byte_range} if byte_range else None
        return self._request("GET", "/files/content", params=params, headers=headers, stream=stream)

    def read(
        self,
        path: str,
        *,
        version: int | None = None,
        offset: int | None = None,
        length: int | None = None,
    ) -> bytes:
        path = check.path(path)
        version = check.optional_integer(version, "version", minimum=1)
        offset = check.optional_integer(offset, "offset", minimum=0)
        length = check.optional_integer(length, "length", minimum=0)
        if offset is None and length is None:
            return self._get_content(path, version).content
        start = offset or 0
        # Length 0 still asks for a byte: the file must exist and be readable, as embedded.
        last = "" if length is None else str(start + max(length, 1) - 1)
        try:
            response = self._get_content(path, version, byte_range=f"bytes={start}-{last}")
        except NexusValidationError as exc:
            if exc.detail_code == "range_not_satisfiable":
                return b""  # starts at or past the end
            raise
        if length == 0:
            return b""
        if response.status_code == 206:
            return response.content
        return response.content[start : None if length is None else start + length]

    def read_to(self, path: str, destination: IO[bytes], *, version: int | None = None) -> int:
        written = 0
        response = self._get_content(path, version, stream=True)
        for chunk in self._stream_body(response):
            destination.write(chunk)
            written += len(chunk)
        return written

    def read_with_metadata(self, path: str) -> Record:
        """Content and metadata of one version, from one response (its headers)."""
        path = check.path(path)
        response = self._get_content(path, None)
        headers = response.headers
        version = headers.get("X-Nexus-Version", "")
        if not version.isdigit() or "X-Nexus-Modified" not in headers:
            raise NexusError(f"malformed content response from {self.target}: no metadata")
        metadata = {
            "path": path,
            "type": "file",
            "size": len(response.content),
            "modified": headers["X-Nexus-Modified"],
            "created": headers.get("X-Nexus-Created"),
            "version": int(version),
            "etag": _unquote_etag(headers.get("ETag")),
            "owner": headers.get("X-Nexus-Owner") or None,
        }
        return {"content": response.content, "metadata": metadata}

    def exists(self, path: str) -> bool:
        params = _query(path=check.path(path))
        return self._call(models.Exists, "GET", "/files/exists", params=params).exists

    def stat(self, path: str) -> Record:
        params = _query(path=check.path(path))
        return self._file_call("GET", "/files/stat", params=params)

    def delete(self, path: str, *, recursive: bool = False) -> None:
        params = _query(path=check.path(path), recursive=check.boolean(recursive, "recursive"))
        self._call(models.Deleted, "DELETE", "/files", params=params)

    def append(self, path: str, data: Data) -> Record:
        params = _query(path=check.file_path(path))
        content = check.data(data)
        return self._file_call("POST", "/files/append", params=params, content=content)

    def list_files(self, path: str = "/", recursive: bool = False) -> list[Record]:
        params = _query(path=check.path(path), recursive=check.boolean(recursive, "recursive"))
        response = self._request("GET", "/files/list", params=params)
        # One validate_json for the whole body; its entries are plain dicts, returned as is.
        listing = self._parse(models.FILE_LIST.validate_json, "FileList", response)
        return cast(list[Record], listing["entries"])

    def move(self, src: str, dst: str) -> Record:
        body = models.MoveRequest(src=check.path(src, "src"), dst=check.destination(dst))
        return self._file_call("POST", "/files/move", json_body=body.model_dump())

    def copy(self, src: str, dst: str) -> Record:
        body = models.CopyRequest(src=check.path(src, "src"), dst=check.destination(dst))
        return self._file_call("POST", "/files/copy", json_body=body.model_dump())

    def set_restricted(self, path: str, restricted: bool = True) -> Record:
        body = models.RestrictRequest(
            path=check.path(path), restricted=check.boolean(restricted, "restricted")
        )
        return self._file_call("POST", "/files/restrict", json_body=body.model_dump())

    # --- versions -----------------------------------------------------------------------

    def list_versions(self, path: str) -> list[Record]:
        params = _query(path=check.path(path))
        listing = self._call(models.VersionList, "GET", "/files/versions", params=params)
        return [version.model_dump() for version in listing.versions]

    def restore_version(self, path: str, version: int, *, if_version: int | None = None) -> Record:
        body = models.RestoreRequest(
            path=check.path(path),
            version=check.integer(version, "version", minimum=1),
            if_version=check.optional_integer(if_version, "if_version", minimum=0),
        )
        return self._file_call("POST", "/files/restore", json_body=body.model_dump())

    # --- permissions --------------------------------------------------------------------

    def grant_permission(
        self,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> Record:
        body = check.permission(subject_type, subject_id, object_type, object_id, relation)
        return self._call(
            models.GrantResult, "POST", "/permissions/grant", json_body=body
        ).model_dump()

    def revoke_permission(
        self,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> Record:
        body = check.permission(subject_type, subject_id, object_type, object_id, relation)
        return self._call(
            models.RevokeResult, "POST", "/permissions/revoke", json_body=body
        ).model_dump()

    def check_permission_record(
        self,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> Record:
        body = check.permission(subject_type, subject_id, object_type, object_id, relation)
        return self._call(
            models.CheckResult, "POST", "/permissions/check", json_body=body
        ).model_dump()

    def list_permissions(
        self,
        object_type: str | None = None,
        object_id: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        relation: str | None = None,
    ) -> list[Record]:
        params = _query(
            object_type=check.optional_text(object_type, "object_type"),
            object_id=check.optional_relationship_object(object_type, object_id),
            subject_type=check.optional_text(subject_type, "subject_type"),
            subject_id=check.optional_text(subject_id, "subject_id"),
            relation=check.optional_text(relation, "relation"),
        )
        listing = self._call(models.PermissionList, "GET", "/permissions", params=params)
        return [record.model_dump() for record in listing.permissions]

    def check_permissions_record(self, checks: Sequence[Mapping[str, str]]) -> Record:
        body = {"checks": check.permission_requests(checks, "checks")}
        return self._call(
            models.BatchCheckResult, "POST", "/permissions/check-batch", json_body=body
        ).model_dump()

    def list_objects_record(
        self,
        relation: str,
        path: str = "/",
        subject_type: str = "user",
        subject_id: str | None = None,
    ) -> Record:
        params = _query(
            relation=check.text(relation, "relation"),
            path=check.path(path),
            subject_type=check.text(subject_type, "subject_type"),
            subject_id=check.optional_text(subject_id, "subject_id"),
        )
        return self._call(
            models.ObjectList, "GET", "/permissions/objects", params=params
        ).model_dump()

    def list_subjects_record(self, path: str, relation: str, expand_groups: bool = False) -> Record:
        params = _query(
            path=check.path(path),
            relation=check.text(relation, "relation"),
            expand_groups=check.boolean(expand_groups, "expand_groups"),
        )
        return self._call(
            models.SubjectList, "GET", "/permissions/subjects", params=params
        ).model_dump()

    def expand_permission_record(self, path: str, relation: str) -> Record:
        params = _query(path=check.path(path), relation=check.text(relation, "relation"))
        return self._call(
            models.ExpandResult, "GET", "/permissions/expand", params=params
        ).model_dump()

    def write_relationships(self, relationships: Sequence[Mapping[str, str]]) -> Record:
        body = {"relationships": check.permission_requests(relationships, "relationships")}
        return self._call(
            models.WriteRelationshipsResult, "POST", "/permissions/write", json_body=body
        ).model_dump()

    def delete_relationships(
        self,
        *,
        object_id: str | None = None,
        relation: str | None = None,
        subject_type: str | None = None,
        subject_id: str | None = None,
        object_type: str = "file",
    ) -> Record:
        body = models.DeleteRelationshipsRequest(
            object_type=check.text(object_type, "object_type"),
            object_id=check.optional_relationship_object(object_type, object_id),
            relation=check.optional_text(relation, "relation"),
            subject_type=check.optional_text(subject_type, "subject_type"),
            subject_id=check.optional_text(subject_id, "subject_id"),
        )
        return self._call(
            models.DeleteRelationshipsResult,
            "POST",
            "/permissions/delete",
            json_body=body.model_dump(),
        ).model_dump()

    def explain_permission(
        self,
        subject_type: str,
        subject_id: str,
        object_type: str,
        object_id: str,
        relation: str,
    ) -> Record:
        body = check.permission(subject_type, subject_id, object_type, object_id, relation)
        return self._call(
            models.ExplainResult, "POST", "/permissions/explain", json_body=body
        ).model_dump()

    # --- groups -------------------------------------------------------------------------

    def _group_route(self, name: str, *, as_argument: bool = False) -> str:
        name = check.text(name, "group")
        # The group named in a membership change is an argument; in get/delete, the resource.
        names_nothing = _unknown("group", name) if as_argument else _missing("group", name)
        return f"/groups/{_segment(name, names_nothing)}"

    def create_group(self, name: str, description: str = "") -> Record:
        body = models.GroupCreate(
            name=check.text(name, "name"),
            description=check.text(description, "description", allow_empty=True),
        )
        return self._call(
            models.GroupChange, "POST", "/groups", json_body=body.model_dump()
        ).model_dump()

    def get_group(self, name: str) -> Record:
        return self._call(models.GroupInfo, "GET", self._group_route(name)).model_dump()

    def delete_group(self, name: str) -> None:
        self._call(models.Deleted, "DELETE", self._group_route(name))

    def list_groups(self) -> list[Record]:
        listing = self._call(models.GroupList, "GET", "/groups")
        return [group.model_dump() for group in listing.groups]

    def _add_member(self, group: str, subject_type: str, subject_id: str) -> Record:
        body = {"subject_type": subject_type, "subject_id": subject_id}
        route = self._group_route(group, as_argument=True) + "/members"
        return self._call(models.GroupChange, "POST", route, json_body=body).model_dump()

    def _remove_member(self, group: str, subject_type: str, subject_id: str) -> Record:
        member = _segment(subject_id, _unknown(subject_type, subject_id))
        route = f"{self._group_route(group, as_argument=True)}/members/{subject_type}/{member}"
        return self._call(models.GroupChange, "DELETE", route).model_dump()

    def add_user_to_group(self, user_id: str, group: str) -> Record:
        return self._add_member(group, "user", check.text(user_id, "user_id"))

    def remove_user_from_group(self, user_id: str, group: str) -> Record:
        return self._remove_member(group, "user", check.text(user_id, "user_id"))

    def add_group_to_group(self, member_group: str, group: str) -> Record:
        return self._add_member(group, "group", check.text(member_group, "member_group"))

    def remove_group_from_group(self, member_group: str, group: str) -> Record:
        return self._remove_member(group, "group", check.text(member_group, "member_group"))

    # --- sessions -----------------------------------------------------------------------

    def create_session(
        self, name: str, description: str | None = None, ttl: int | None = None
    ) -> Record:
        body = models.SessionCreate(
            name=check.text(name, "name"),
            description=check.optional_text(description, "description", allow_empty=True),
            ttl=check.optional_integer(ttl, "ttl", minimum=1),
        )
        return self._call(
            models.SessionInfo, "POST", "/sessions", json_body=body.model_dump()
        ).model_dump()

    def list_sessions(self, all_users: bool = False) -> list[Record]:
        params = _query(all=check.boolean(all_users, "all_users") or None)
        listing = self._call(models.SessionList, "GET", "/sessions", params=params)
        return [session.model_dump() for session in listing.sessions]

    def delete_session(self, session_id: str) -> None:
        session_id = check.text(session_id, "session_id")
        route = f"/sessions/{_segment(session_id, _missing('session', session_id))}"
        self._call(models.Deleted, "DELETE", route)

    # --- locks --------------------------------------------------------------------------

    def lock_record(self, path: str, ttl: float) -> Record:
        body = models.LockRequest(path=check.path(path), ttl=check.lock_ttl(ttl))
        return self._call(
            models.NewLock, "POST", "/locks", json_body=body.model_dump()
        ).model_dump()

    def unlock(self, path: str, token: str | None) -> None:
        body = models.UnlockRequest(
            path=check.path(path), token=None if token is None else check.lock_token(token)
        )
        self._call(models.Unlocked, "POST", "/locks/unlock", json_body=body.model_dump())

    def extend_lock(self, path: str, token: str, ttl: float) -> Record:
        body = models.ExtendLockRequest(
            path=check.path(path), token=check.lock_token(token), ttl=check.lock_ttl(ttl)
        )
        return self._call(
            models.LockInfo, "POST", "/locks/extend", json_body=body.model_dump()
        ).model_dump()

    def lock_info(self, path: str) -> Record:
        params = _query(path=check.path(path))
        return self._call(models.LockInfo, "GET", "/locks", params=params).model_dump()

    # --- identity and admin -------------------------------------------------------------

    def whoami(self) -> Record:
        return self._call(models.WhoAmI, "GET", "/whoami").model_dump()

    def create_user(self, user_id: str, name: str, email: str, admin: bool = False) -> Record:
        body = models.UserCreate(
            id=check.text(user_id, "user_id"),
            name=check.text(name, "name"),
            email=check.text(email, "email"),
            admin=check.boolean(admin, "admin"),
        )
        return self._call(
            models.UserInfo, "POST", "/admin/users", json_body=body.model_dump()
        ).model_dump()

    def list_users(self) -> list[Record]:
        listing = self._call(models.UserList, "GET", "/admin/users")
        return [user.model_dump() for user in listing.users]

    def _user_route(self, user_id: str) -> str:
        user_id = check.text(user_id, "user_id")
        return f"/admin/users/{_segment(user_id, _missing('user', user_id))}"

    def update_user(
        self, user_id: str, *, disabled: bool | None = None, admin: bool | None = None
    ) -> Record:
        body = models.UserUpdate(
            disabled=check.optional_boolean(disabled, "disabled"),
            admin=check.optional_boolean(admin, "admin"),
        )
        route = self._user_route(user_id)
        payload = body.model_dump(exclude_none=True)
        return self._call(models.UserInfo, "PATCH", route, json_body=payload).model_dump()

    def delete_user(self, user_id: str) -> None:
        self._call(models.Deleted, "DELETE", self._user_route(user_id))

    def create_api_key(
        self, user_id: str, description: str = "", expires_in: int | None = None
    ) -> Record:
        body = models.KeyCreate(
            description=check.text(description, "description", allow_empty=True),
            expires_in=check.optional_integer(expires_in, "expires_in", minimum=1),
        )
        route = self._user_route(user_id) + "/keys"
        return self._call(models.NewKey, "POST", route, json_body=body.model_dump()).model_dump()

    def list_api_keys(self, user_id: str | None = None) -> list[Record]:
        params = _query(user_id=check.optional_text(user_id, "user_id"))
        listing = self._call(models.KeyList, "GET", "/admin/keys", params=params)
        return [key.model_dump() for key in listing.keys]

    def revoke_api_key(self, key_id: str) -> Record:
        key_id = check.text(key_id, "key_id")
        route = f"/admin/keys/{_segment(key_id, _missing('key', key_id))}"
        return self._call(models.KeyInfo, "DELETE", route).model_dump()

    def collect_garbage(self) -> Record:
        return self._call(models.StorageSweep, "POST", "/admin/gc").model_dump()

    def activity(self, path: str = "/", limit: int = 100, before: int | None = None) -> Record:
        params = _query(
            path=check.path(path),
            limit=activity_check.limit(limit),
            before=activity_check.before(before),
        )
        return self._call(models.ActivityPage, "GET", "/activity", params=params).model_dump()

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
        params = _query(
            user=activity_check.text(user, "user"),
            path=None if path is None else check.path(path),
            action=activity_check.text(action, "action"),
            outcome=activity_check.text(outcome, "outcome"),
            since=activity_check.moment(since, "since"),
            until=activity_check.moment(until, "until"),
            limit=activity_check.limit(limit),
            before=activity_check.before(before),
        )
        return self._call(models.ActivityPage, "GET", "/admin/audit", params=params).model_dump()
