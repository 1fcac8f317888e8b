"""The activity log: recording every mutation, admin action and refused attempt, and reading
it back.

Recording (docs/architecture.md, decision 19): a successful mutation calls ``record_change``
inside its own write transaction, so its event commits or rolls back with it; changes to
users, keys, groups and sessions call ``record_admin`` the same way (no path: the subject is
in the details); the admin-only reads and garbage collection call ``record_admin_after`` once
done. A refused attempt (permission denied, not found under the 403/404 rule, locked) is
recorded by the ``audited`` decorator in a short transaction of its own after the failure.

Reading: events are filed under the paths they named when they happened (a move under its
source and its destination). A caller other than an admin sees an event when it can read,
now, both the entry the event is about and the folder that entry was in at the time; events
about a deleted entry stay visible through that folder (the delete of a restricted folder
does not: its contents were never readable through it). Callers always see their own
refused attempts, which tell them nothing the refusal did not, and their own events without a
path (a group they changed, a key they revoked); nobody else's of those. "Their own" means
since their account was created: a re-created user id inherits nothing of the old account's.
Admins see everything, with filters (``audit``).
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection

from nexus.api.models import ActivityEvent, ActivityPage
from nexus.errors import (
    NexusError,
    NexusFileNotFoundError,
    NexusLockedError,
    NexusPermissionError,
    NexusValidationError,
    has_surrogate,
    shown,
)
from nexus.files.access import Access
from nexus.files.namespaces import ROOTS
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime
from nexus.files.snapshot import snapshot_read
from nexus.files.timestamps import iso
from nexus.files.validation import require_text
from nexus.metadata import Entry
from nexus.metadata.activity import ActivityStore, Event, EventFilter
from nexus.paths import normalize

log = logging.getLogger("nexus.activity")

# Stable action names: mutations of files and grants (filed under their paths)...
FILE_ACTIONS = (
    "write",
    "append",
    "mkdir",
    "delete",
    "move",
    "copy",
    "restrict",
    "unrestrict",
    "grant",
    "revoke",
    "lock",
    "unlock",
    "extend_lock",
    "restore",
    # Reads are recorded only when refused (an attempt on something the caller may not see).
    "read",
    "stat",
    "list",
    "versions",
    "lock_info",
)
# ...and admin actions (no path; the subject in details: user, key_id, group, session...).
# Reads are here when they use an admin power: who looked at whose records is worth knowing.
ADMIN_ACTIONS = (
    "create_user",
    "update_user",
    "delete_user",
    "list_users",
    "create_key",
    "revoke_key",
    "list_keys",
    "create_group",
    "delete_group",
    "add_member",
    "remove_member",
    "list_sessions",
    "delete_session",
    "collect_garbage",
    "audit",
)
ACTIONS = FILE_ACTIONS + ADMIN_ACTIONS
OK = "ok"
# A refused attempt's outcome, by the error that refused it.
_REFUSALS: tuple[tuple[type[NexusError], str], ...] = (
    (NexusPermissionError, "denied"),
    (NexusFileNotFoundError, "not_found"),
    (NexusLockedError, "locked"),
)
OUTCOMES = (OK, *(outcome for _cls, outcome in _REFUSALS))

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Largest id a cursor may name (64-bit ids on PostgreSQL).
MAX_EVENT_ID = 2**63 - 1
# Rows read per query while filtering by visibility, and at most per page: a caller who
# may see little of a busy log gets a short page and a cursor instead of a long scan.
_BATCH = 500
_MAX_SCANNED = 20_000
# Longest argument a refused admin call's event repeats as given.
_MAX_GIVEN_CHARS = 200

_STORE = ActivityStore()

P = ParamSpec("P")
R = TypeVar("R")


def record_change(
    runtime: Runtime,
    conn: Connection,
    principal: Principal,
    action: str,
    path: str | None,
    entry: Entry | None,
    *,
    parent_id: int | None = None,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Record a successful mutation in its own transaction ``conn`` (one INSERT).
    ``parent_id``: the folder ``entry`` was in before the change, when it moved."""
    _STORE.add(
        conn,
        Event(
            actor=principal.user_id,
            key_id=principal.key_id,
            action=action,
            outcome=OK,
            time=runtime.now(),
            path=path,
            target=target,
            entry_id=None if entry is None else entry.id,
            parent_id=parent_id if parent_id is not None or entry is None else entry.parent_id,
            details=_with_restriction(entry, details),
        ),
    )


def record_admin(
    runtime: Runtime,
    conn: Connection,
    principal: Principal,
    action: str,
    details: Mapping[str, Any],
) -> None:
    """Record an admin action (one of ADMIN_ACTIONS) in the change's own transaction
    ``conn``: no path, the subject (user, key_id, group, ...) in ``details``."""
    record_change(runtime, conn, principal, action, None, None, details=details)


def record_admin_after(
    runtime: Runtime, principal: Principal, action: str, details: Mapping[str, Any]
) -> None:
    """Record an admin action once it is done, in a short write transaction of its own: the
    admin-only reads (which hold no write transaction to share) and garbage collection (many
    transactions). If this fails the caller gets the error, not the answer: nobody reads
    admin records without leaving their event."""
    with runtime.db.write() as conn:
        record_admin(runtime, conn, principal, action, details)


def _with_restriction(entry: Entry | None, details: Mapping[str, Any] | None) -> dict[str, Any]:
    """Marks events on a restricted folder: once it is deleted, readers of the folder above
    must not see them (see ``_sees``)."""
    shown_details = dict(details or {})
    if entry is not None and entry.restricted:
        shown_details["restricted"] = True
    return shown_details


def _refusal(error: BaseException) -> str | None:
    for cls, outcome in _REFUSALS:
        if isinstance(error, cls):
            return outcome
    return None


def _normalized(value: object) -> str | None:
    try:
        return normalize(value) if isinstance(value, str) else None
    except NexusError:
        return None


def audited(
    action: str,
    path: str | None = "path",
    target: str | None = None,
    subject: Mapping[str, str] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record refused calls of an operation method ``(self, principal, ...)``; ``path`` and
    ``target`` name its parameters holding the path(s) it acts on (None: it takes none, as
    admin actions); ``subject`` maps detail names to the parameters whose values go there
    (``{"user": "user_id"}``)."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except NexusError as error:
                outcome = _refusal(error)
                if outcome is not None:
                    given = signature.bind_partial(*args, **kwargs).arguments
                    _record_refusal(given, action, outcome, error, path, target, subject)
                raise

        return wrapper

    return decorate


def _record_refusal(
    given: Mapping[str, Any],
    action: str,
    outcome: str,
    error: NexusError,
    path_param: str | None,
    target_param: str | None,
    subject: Mapping[str, str] | None,
) -> None:
    operations, principal = given.get("self"), given.get("principal")
    runtime = getattr(operations, "runtime", None)
    if not isinstance(runtime, Runtime) or not isinstance(principal, Principal):
        return
    path = None if path_param is None else _normalized(given.get(path_param))
    target = None if target_param is None else _normalized(given.get(target_param))
    details = {
        name: _given_value(given[param])
        for name, param in (subject or {}).items()
        if given.get(param) is not None
    }
    if error.detail_code != error.code:
        details["code"] = error.detail_code
    event = Event(
        actor=principal.user_id,
        key_id=principal.key_id,
        action=action,
        outcome=outcome,
        time=runtime.now(),
        path=path,
        target=target,
        details=details,
    )
    runtime.refusals.record(event)  # committed shortly, off the caller's path


def _given_value(value: object) -> object:
    """An argument of a refused call as its event shows it: short clean text as given,
    anything else (any type, too long, unencodable) as a cut repr."""
    if isinstance(value, str) and len(value) <= _MAX_GIVEN_CHARS and not has_surrogate(value):
        return value
    if isinstance(value, int):  # bools too
        return value
    return shown(value, _MAX_GIVEN_CHARS)


# --- arguments ---------------------------------------------------------------------------


def page_limit(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_LIMIT:
        raise NexusValidationError(
            f"limit must be a whole number from 1 to {MAX_LIMIT}, not {shown(value)}",
            code="invalid_limit",
        )
    return value


def cursor(value: object) -> int | None:
    """The ``before`` cursor: an event id from a previous page's ``next_before``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_EVENT_ID:
        raise NexusValidationError(
            f"before must be an event id (a positive whole number), not {shown(value)}",
            code="invalid_cursor",
        )
    return value


def moment(name: str, value: object) -> float | None:
    """An ISO 8601 date or time (UTC unless it carries an offset) as epoch seconds."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise NexusValidationError(
            f"{name} must be an ISO 8601 date or time such as 2026-01-31 or "
            f"2026-01-31T12:00:00, not {shown(value)}",
            code="invalid_time",
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _choice(name: str, value: object, choices: Sequence[str]) -> str | None:
    if value is None:
        return None
    if value not in choices:
        raise NexusValidationError(
            f"unknown {name} {shown(value)}: use one of {', '.join(choices)}",
            code=f"unknown_{name}",
        )
    return str(value)


def _shown_event(event: Event, *, with_key: bool) -> ActivityEvent:
    assert event.id is not None
    return ActivityEvent(
        id=event.id,
        time=iso(event.time),
        actor=event.actor,
        key_id=event.key_id if with_key else None,
        action=event.action,
        outcome=event.outcome,
        path=event.path,
        target=event.target,
        details=dict(event.details),
    )


# --- reading -----------------------------------------------------------------------------


class ActivityOperations:
    def __init__(self, runtime: Runtime, access: Access):
        self.runtime = runtime
        self.access = access
        self._last_prune: float | None = None  # time.monotonic() of the last prune
        self._pruning = threading.Lock()

    def activity(
        self, principal: Principal, path: str, limit: object = DEFAULT_LIMIT, before: object = None
    ) -> ActivityPage:
        """Events at or below ``path`` that the caller may see (see the module docstring),
        newest first. ``next_before`` continues the listing; None when nothing is left."""
        path = normalize(path)
        wanted = page_limit(limit)
        start = cursor(before)
        self.runtime.refusals.flush()  # this process's refusals so far are in the log
        with snapshot_read(self.runtime.db) as conn:
            self.access.find(conn, principal, path)  # the 403/404 rule for the path itself
            reader = _Reader(principal, self._account_since(conn, principal))
            found, next_before = self._scan(conn, reader, EventFilter(under=path), wanted, start)
        shown_events = [_shown_event(event, with_key=reader.owns(event)) for event in found]
        return ActivityPage(events=shown_events, next_before=next_before)

    def _account_since(self, conn: Connection, principal: Principal) -> float:
        """When the caller's account was made: older events under its id were an earlier
        account's (a deleted id created again), not the caller's."""
        if principal.is_system:
            return float("-inf")
        account = self.runtime.users.get(conn, principal.user_id)
        return float("inf") if account is None else account.created_at

    @audited("audit", path=None)
    def audit(
        self,
        principal: Principal,
        *,
        user: object = None,
        path: object = None,
        action: object = None,
        outcome: object = None,
        since: object = None,
        until: object = None,
        limit: object = DEFAULT_LIMIT,
        before: object = None,
    ) -> ActivityPage:
        """Every event matching the filters, newest first (admins only)."""
        if not principal.is_admin:
            raise NexusPermissionError("permission denied: the audit log is for admins")
        query = EventFilter(
            under=None if path is None else normalize(require_text("path", path)),
            actor=None if user is None else require_text("user", user),
            action=_choice("action", action, ACTIONS),
            outcome=_choice("outcome", outcome, OUTCOMES),
            since=moment("since", since),
            until=moment("until", until),
        )
        if query.since is not None and query.until is not None and query.since >= query.until:
            raise NexusValidationError("since must be earlier than until", code="invalid_time")
        wanted = page_limit(limit)
        start = cursor(before)
        self.runtime.refusals.flush()  # this process's refusals so far are in the log
        with self.runtime.db.read() as conn:
            found, next_before = self._scan(conn, _Reader(principal), query, wanted, start)
        # Who looked at the log, for what, and how much they got (the answer shows the log
        # as it was before this look).
        asked = {
            "user": query.actor,
            "path": query.under,
            "action": query.action,
            "outcome": query.outcome,
            "since": since,
            "until": until,
            "before": start,
        }
        details = {name: value for name, value in asked.items() if value is not None}
        record_admin_after(self.runtime, principal, "audit", {**details, "count": len(found)})
        return ActivityPage(
            events=[_shown_event(event, with_key=True) for event in found], next_before=next_before
        )

    def _scan(
        self,
        conn: Connection,
        reader: _Reader,
        query: EventFilter,
        limit: int,
        before: int | None,
    ) -> tuple[list[Event], int | None]:
        """Up to ``limit`` visible events below the cursor, and the cursor after them."""
        found: list[Event] = []
        position = before
        scanned = 0
        while scanned < _MAX_SCANNED:
            asked = limit if reader.principal.is_admin else _BATCH
            batch = _STORE.find(conn, _below(query, position), asked)
            visible = self._visible(conn, reader, batch)
            for event in batch:
                position = event.id
                if event.id in visible:
                    found.append(event)
                    if len(found) == limit:
                        return found, position
            if len(batch) < asked:
                return found, None  # nothing older is left
            scanned += len(batch)
        return found, position

    def _visible(self, conn: Connection, reader: _Reader, batch: Sequence[Event]) -> set[int]:
        ids = {event.id for event in batch if event.id is not None}
        if reader.principal.is_admin:
            return ids
        referenced = {
            ref
            for event in batch
            if event.outcome == OK
            for ref in (event.entry_id, event.parent_id)
            if ref is not None
        }
        existing, readable = self._readable(conn, reader.principal, referenced)
        visible: set[int] = set()
        for event in batch:
            assert event.id is not None
            if event.outcome != OK or _is_admin_action(event):
                # Refused attempts and admin actions: the caller's own only.
                if reader.owns(event):
                    visible.add(event.id)
            elif _sees(event, readable, existing):
                visible.add(event.id)
        return visible

    def _readable(
        self, conn: Connection, principal: Principal, ids: Iterable[int]
    ) -> tuple[set[int], set[int]]:
        """(the ids that still name entries, those the caller can read now)."""
        entries = list(self.runtime.tree.get_many(conn, ids).values())
        # Namespace roots are seen by everyone (as in Access.sees).
        roots = {chain[-1].id for chain in (self.runtime.tree.resolve(conn, r) for r in ROOTS)}
        answers = self.access.can_many(conn, principal, "can_read", entries)
        readable = {e.id for e, ok in zip(entries, answers, strict=True) if ok or e.id in roots}
        return {e.id for e in entries}, readable

    # --- retention -----------------------------------------------------------------------

    def prune(self, now: float | None = None) -> int:
        """Delete events older than ``activity_keep_days`` (0 keeps them forever)."""
        days = self.runtime.settings.activity_keep_days
        if days <= 0:
            return 0
        with self._pruning:
            cutoff = (self.runtime.now() if now is None else now) - days * 86400
            with self.runtime.db.write() as conn:
                removed = _STORE.delete_older_than(conn, cutoff)
            self._last_prune = time.monotonic()
        return removed

    def prune_if_due(self) -> int | None:
        """Prune when ``storage_sweep_seconds`` have passed since the last time (or never);
        for the server's background sweeper."""
        last = self._last_prune
        interval = self.runtime.settings.storage_sweep_seconds
        if last is not None and time.monotonic() - last < interval:
            return None
        return self.prune()


def _below(query: EventFilter, position: int | None) -> EventFilter:
    return EventFilter(
        under=query.under,
        actor=query.actor,
        action=query.action,
        outcome=query.outcome,
        since=query.since,
        until=query.until,
        before=position,
    )


@dataclass(frozen=True, slots=True)
class _Reader:
    """Who reads the log, and since when events under their id are theirs."""

    principal: Principal
    account_since: float = float("-inf")

    def owns(self, event: Event) -> bool:
        return event.actor == self.principal.user_id and event.time >= self.account_since


def _is_admin_action(event: Event) -> bool:
    """Events on users, keys, groups, sessions: filed under no path, named by no entry."""
    return event.path is None and event.target is None and event.entry_id is None


def _sees(event: Event, readable: set[int], existing: set[int]) -> bool:
    """Whether a caller who can read ``readable`` (entry ids) now may see an ok event."""
    if event.parent_id is None or event.parent_id not in readable:
        return False  # the root itself, or a folder the caller cannot read (or gone)
    if event.entry_id is None or event.entry_id in existing:
        return event.entry_id is None or event.entry_id in readable
    # A deleted entry: visible through the folder it was in, except what happened while it
    # was a restricted folder (not readable through that folder then).
    return not event.details.get("restricted", False)
