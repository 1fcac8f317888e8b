"""Domain records -> wire models (nexus.api.models), shared by server and embedded client."""

from __future__ import annotations

from nexus.api.models import FileInfo, KeyInfo, SessionInfo, UserInfo
from nexus.files.namespaces import session_path
from nexus.files.timestamps import iso, iso_or_none
from nexus.identity import ApiKey, Session, User
from nexus.metadata import DIRECTORY, Entry


def file_info(entry: Entry, path: str) -> FileInfo:
    """The one mapping of an entry to its wire record: a fresh dict per call, so whoever
    receives it (a client's caller too) may change it without affecting anyone else."""
    # One unpacking instead of ten attribute reads (a listing maps 10,000 entries).
    (
        _id,
        _parent,
        name,
        kind,
        restricted,
        version,
        size,
        blob_hash,
        created_at,
        modified_at,
        owner,
    ) = entry
    modified = iso(modified_at)
    # Never written since created (most files of a big folder): format it once.
    created = modified if created_at == modified_at else iso(created_at)
    return {
        "path": path,
        "name": name,  # the path's last segment ('' for the root, as stored)
        "type": "directory" if kind == DIRECTORY else "file",
        "size": size,
        "modified": modified,
        "created": created,
        "version": version,
        "etag": blob_hash,
        "owner": owner or None,  # '' once the owner's account was deleted
        "restricted": restricted,
    }


def user_info(user: User) -> UserInfo:
    return UserInfo(
        id=user.id,
        name=user.name,
        email=user.email,
        is_admin=user.is_admin,
        disabled=user.disabled,
        created=iso(user.created_at),
    )


def key_info(key: ApiKey) -> KeyInfo:
    return KeyInfo(
        id=key.id,
        user_id=key.user_id,
        prefix=key.prefix,
        description=key.description,
        created=iso(key.created_at),
        expires=iso_or_none(key.expires_at),
        revoked=key.revoked_at is not None,
    )


def session_info(session: Session) -> SessionInfo:
    return SessionInfo(
        id=session.id,
        name=session.name,
        description=session.description,
        created=iso(session.created_at),
        expires=iso_or_none(session.expires_at),
        user_id=session.user_id,
        path=session_path(session.id),
    )
