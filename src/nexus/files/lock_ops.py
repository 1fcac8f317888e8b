"""First-class locks on files: lock, unlock, extend_lock, lock_info, and the check that
every write path makes (``require_unlocked``).

The rules (docs/architecture.md, decision 18): whoever may write a file may lock it; the
lock is its holder's (user id plus the token, which only ``lock`` ever returns); while it
is live nobody else may write, append to, delete or move the file, or delete or move a
folder with it inside; readers see who holds it and until when; it ends at its ttl, on
unlock, when an admin breaks it, or when the file is deleted. Directories are not lockable.

Every lock operation and every check holds the entry's row first (``LockStore.hold_entries``)
in the same transaction as what it guards, so a lock committed before a write is seen by
it and a lock cannot slip in between a write's check and its commit.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Sequence

from sqlalchemy import Connection

# Far longer than any token we issue; longer input is refused before it is hashed.
from nexus.api.described import MAX_TOKEN_CHARS
from nexus.api.models import LockInfo, NewLock
from nexus.errors import (
    NexusConflictError,
    NexusLockedError,
    NexusValidationError,
    has_surrogate,
    shown,
)
from nexus.files.access import Access, denied, not_found
from nexus.files.activity import audited, record_change
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime
from nexus.files.timestamps import iso
from nexus.metadata import Entry
from nexus.metadata.locks import Lock, LockStore
from nexus.paths import normalize

TOKEN_PREFIX = "nxl_"

_STORE = LockStore()


def lock_ttl(value: object, maximum: float) -> float:
    """A lock's lifetime: a finite number of seconds above 0 and at most ``maximum``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NexusValidationError(
            f"ttl must be a number of seconds, not {shown(value)}", code="invalid_ttl"
        )
    seconds = float(value)
    if not (math.isfinite(seconds) and 0 < seconds <= maximum):
        raise NexusValidationError(
            f"ttl must be more than 0 and at most {maximum:g} seconds, not {shown(value)}",
            code="invalid_ttl",
        )
    return seconds


def lock_token(value: object) -> str:
    """A token as given back by the caller (whether it is the right one is checked later)."""
    if (
        not isinstance(value, str)
        or not value
        or len(value) > MAX_TOKEN_CHARS
        or has_surrogate(value)
    ):
        raise NexusValidationError(
            "token must be the lock token that lock() returned", code="invalid_token"
        )
    return value


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _locked(path: str, lock: Lock, doing: str | None = None) -> NexusLockedError:
    what = f"{path} is locked by {lock.holder} until {iso(lock.expires_at)}"
    return NexusLockedError(f"cannot {doing}: {what}" if doing else what, path=path)


def _not_locked(path: str) -> NexusConflictError:
    return NexusConflictError(
        f"{path} is not locked (the lock was released, broken or has expired)",
        path=path,
        code="not_locked",
    )


def _lock_info(path: str, lock: Lock | None) -> LockInfo:
    if lock is None:
        return LockInfo(path=path, locked=False, holder=None, created=None, expires=None)
    return LockInfo(
        path=path,
        locked=True,
        holder=lock.holder,
        created=iso(lock.created_at),
        expires=iso(lock.expires_at),
    )


def require_unlocked(
    runtime: Runtime,
    conn: Connection,
    principal: Principal,
    doing: str,
    path: str,
    targets: Sequence[Entry],
) -> None:
    """Raise NexusLockedError when someone else holds a live lock on any of ``targets``
    (the entry at ``path`` first, then what lies below it). Call inside the transaction
    that changes them, after the permission checks: the caller may write all of them, so
    naming a locked one tells it nothing it could not read."""
    files = [entry.id for entry in targets if not entry.is_directory]
    if not files:
        return
    _STORE.hold_entries(conn, files)
    for lock in _STORE.live_among(conn, files, runtime.now()):
        if lock.holder != principal.user_id:
            where = path if lock.entry_id == targets[0].id else None
            raise _locked(
                where or runtime.tree.path_of(conn, lock.entry_id), lock, f"{doing} {path}"
            )


def drop_locks_held_by(conn: Connection, user_id: str) -> None:
    """A deleted account's locks end with it (a later account of that id holds nothing)."""
    _STORE.delete_held_by(conn, user_id)


class LockOperations:
    def __init__(self, runtime: Runtime, access: Access):
        self.runtime = runtime
        self.access = access

    @audited("lock")
    def lock(self, principal: Principal, path: str, ttl: object) -> NewLock:
        """Lock a file for ``ttl`` seconds; the token in the answer is the only key to it."""
        path = normalize(path)
        seconds = lock_ttl(ttl, self.runtime.settings.max_lock_ttl)
        with self.runtime.db.write() as conn:
            entry = self._writable_file(conn, principal, path)
            now = self.runtime.now()
            current = _STORE.get(conn, entry.id)
            if current is not None and current.is_live(now):
                raise _locked(path, current)
            token = TOKEN_PREFIX + secrets.token_urlsafe(32)
            lock = Lock(entry.id, _digest(token), principal.user_id, now, now + seconds)
            _STORE.put(conn, lock)  # replaces an expired lock in the same transaction
            details = {"ttl": seconds}
            record_change(self.runtime, conn, principal, "lock", path, entry, details=details)
        return NewLock(**_lock_info(path, lock).model_dump(), token=token)

    @audited("extend_lock")
    def extend(self, principal: Principal, path: str, token: object, ttl: object) -> LockInfo:
        """Make the caller's lock expire ``ttl`` seconds from now (an expired one is gone)."""
        path = normalize(path)
        given = lock_token(token)
        seconds = lock_ttl(ttl, self.runtime.settings.max_lock_ttl)
        with self.runtime.db.write() as conn:
            entry = self._writable_file(conn, principal, path)
            current = self._live(conn, entry, path)
            self._require_holder(principal, current, given, path)
            expires_at = self.runtime.now() + seconds
            _STORE.set_expiry(conn, entry.id, expires_at)
            record_change(
                self.runtime, conn, principal, "extend_lock", path, entry, details={"ttl": seconds}
            )
            extended = Lock(
                entry.id, current.token_hash, current.holder, current.created_at, expires_at
            )
        return _lock_info(path, extended)

    @audited("unlock")
    def unlock(self, principal: Principal, path: str, token: object) -> None:
        """Release a lock (its holder, with the token); an admin without a token breaks it."""
        path = normalize(path)
        if token is None and not principal.is_admin:
            raise NexusValidationError(
                "token is required: the lock token that lock() returned "
                "(only admins may break someone else's lock without it)",
                code="missing_token",
            )
        given = None if token is None else lock_token(token)
        with self.runtime.db.write() as conn:
            entry = self.access.find(conn, principal, path).entry
            _STORE.hold_entries(conn, [entry.id])
            current = self._live(conn, entry, path)
            if given is not None:
                self._require_holder(principal, current, given, path)
            _STORE.delete(conn, entry.id)
            details = {"holder": current.holder, "broken": given is None}
            record_change(self.runtime, conn, principal, "unlock", path, entry, details=details)

    @audited("lock_info")
    def info(self, principal: Principal, path: str) -> LockInfo:
        """Who holds the lock on ``path`` and until when; for anyone who may read it."""
        path = normalize(path)
        with self.runtime.db.read() as conn:
            entry = self.access.find(conn, principal, path).entry
            lock = None if entry.is_directory else _STORE.get(conn, entry.id)
            live = lock is not None and lock.is_live(self.runtime.now())
            return _lock_info(path, lock if live else None)

    def _writable_file(self, conn: Connection, principal: Principal, path: str) -> Entry:
        """The file at ``path``, which the caller may write, with its row held."""
        entry = self.access.find(conn, principal, path).entry
        if not self.access.can(conn, principal, "can_write", entry):
            raise denied(path)
        if entry.is_directory:
            raise NexusValidationError(
                f"only files can be locked, and {path} is a directory",
                path=path,
                code="is_a_directory",
            )
        # Holds the row (see LockStore.hold_entries). None: a transaction that held it
        # before us deleted the file.
        if self.runtime.tree.lock_for_update(conn, entry.id) is None:
            raise not_found(path)
        return entry

    def _live(self, conn: Connection, entry: Entry, path: str) -> Lock:
        current = None if entry.is_directory else _STORE.get(conn, entry.id)
        if current is None or not current.is_live(self.runtime.now()):
            raise _not_locked(path)
        return current

    @staticmethod
    def _require_holder(principal: Principal, lock: Lock, token: str, path: str) -> None:
        # Both parts always compared, in constant time: no timing hint about which failed.
        token_matches = hmac.compare_digest(_digest(token), lock.token_hash)
        if not (token_matches and lock.holder == principal.user_id):
            raise NexusLockedError(
                f"{path} is locked by {lock.holder} until {iso(lock.expires_at)}, "
                "and that token is not its token",
                path=path,
                code="lock_token_mismatch",
            )
