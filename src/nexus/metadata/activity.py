"""Activity rows: one per mutation, admin action or refused attempt, newest id last.

Rows only; what gets recorded and who may see which event are the files layer's rules
(nexus.files.activity).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    and_,
    delete,
    or_,
    select,
    true,
)

from nexus.db import fast
from nexus.db.tables import activity

# Details are small by design; anything bigger is cut rather than refused (a write must not
# fail because its log line would be long).
_MAX_DETAILS_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Event:
    actor: str
    action: str
    outcome: str
    time: float
    path: str | None = None
    target: str | None = None
    entry_id: int | None = None
    parent_id: int | None = None
    key_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    id: int | None = None  # set once stored


@dataclass(frozen=True, slots=True)
class EventFilter:
    """Which events to read, newest first; every field narrows (None: no limit)."""

    under: str | None = None  # a normalized absolute path: events at it or below it
    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: float | None = None
    until: float | None = None
    before: int | None = None  # only ids below this (the pagination cursor)


def _details_text(details: Mapping[str, Any]) -> str:
    text = json.dumps(dict(details), ensure_ascii=False, separators=(",", ":"), default=str)
    if len(text) > _MAX_DETAILS_CHARS:
        text = json.dumps({"truncated": True})
    return text


def _event(row: Row[Any]) -> Event:
    return Event(
        id=int(row.id),
        time=float(row.time),
        actor=str(row.actor),
        key_id=row.key_id,
        action=str(row.action),
        outcome=str(row.outcome),
        path=row.path,
        target=row.target,
        entry_id=None if row.entry_id is None else int(row.entry_id),
        parent_id=None if row.parent_id is None else int(row.parent_id),
        details=json.loads(row.details or "{}"),
    )


def under_path(path: str) -> ColumnElement[bool]:
    """Events whose path (or a move's destination) is ``path`` or lies below it; ``/`` is
    the whole log, events without a path (admin actions on users, keys, groups) included."""
    if path == "/":
        return true()
    # "0" follows "/" in byte order: [path + "/", path + "0") is exactly what lies below.
    below, after = path + "/", path + "0"

    def within(column: Any) -> ColumnElement[bool]:
        return or_(column == path, and_(column >= below, column < after))

    return or_(within(activity.c.path), within(activity.c.target))


_ADD_SQL = (
    "INSERT INTO activity (time, actor, key_id, action, outcome, path, target, entry_id,"
    " parent_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class ActivityStore:
    def add(self, conn: Connection, event: Event) -> None:
        # On the driver: every change records one (SQLAlchemy's insert cost more).
        values = (
            event.time,
            event.actor,
            event.key_id,
            event.action,
            event.outcome,
            event.path,
            event.target,
            event.entry_id,
            event.parent_id,
            _details_text(event.details),
        )
        fast.execute(conn, _ADD_SQL, values)

    def find(self, conn: Connection, query: EventFilter, limit: int) -> list[Event]:
        """Up to ``limit`` events matching ``query``, newest (highest id) first."""
        conditions: list[ColumnElement[bool]] = []
        if query.under is not None:
            conditions.append(under_path(query.under))
        if query.actor is not None:
            conditions.append(activity.c.actor == query.actor)
        if query.action is not None:
            conditions.append(activity.c.action == query.action)
        if query.outcome is not None:
            conditions.append(activity.c.outcome == query.outcome)
        if query.since is not None:
            conditions.append(activity.c.time >= query.since)
        if query.until is not None:
            conditions.append(activity.c.time < query.until)
        if query.before is not None:
            conditions.append(activity.c.id < query.before)
        statement = select(activity).where(*conditions).order_by(activity.c.id.desc())
        return [_event(row) for row in conn.execute(statement.limit(limit))]

    def delete_older_than(self, conn: Connection, cutoff: float) -> int:
        return conn.execute(delete(activity).where(activity.c.time < cutoff)).rowcount or 0
