"""Activity routes: the caller's view of the log under a path, and the admins' audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from pydantic import WithJsonSchema

from nexus.api.described import PATH_DESCRIPTION, AnyPath
from nexus.api.models import ActivityPage
from nexus.files.activity import MAX_EVENT_ID, MAX_LIMIT
from nexus.server.dependencies import Caller, Service
from nexus.server.routing import api_router

router = api_router("", "activity")

# Wide bounds so that FastAPI parses numbers only: the service checks the values and
# answers with its stable codes (invalid_limit, invalid_cursor), as for embedded callers.
Limit = Annotated[
    int,
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}),
    Query(description=f"Events per page (1 to {MAX_LIMIT})"),
]
EventId = Annotated[int, WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_EVENT_ID})]
Before = Annotated[EventId | None, Query(description="Only events older than this id (a cursor)")]
PathParam = Annotated[AnyPath, Query(description=PATH_DESCRIPTION)]


@router.get("/activity")
def activity(
    service: Service,
    caller: Caller,
    path: PathParam = "/",
    limit: Limit = 100,
    before: Before = None,
) -> ActivityPage:
    return service.activity.activity(caller, path, limit, before)


@router.get("/admin/audit", tags=["admin"])
def audit(
    service: Service,
    caller: Caller,
    user: str | None = None,
    path: Annotated[AnyPath | None, Query(description=PATH_DESCRIPTION)] = None,
    action: str | None = None,
    outcome: str | None = None,
    since: Annotated[str | None, Query(description="ISO 8601, UTC unless it has an offset")] = None,
    until: Annotated[str | None, Query(description="ISO 8601, UTC unless it has an offset")] = None,
    limit: Limit = 100,
    before: Before = None,
) -> ActivityPage:
    return service.activity.audit(
        caller,
        user=user,
        path=path,
        action=action,
        outcome=outcome,
        since=since,
        until=until,
        limit=limit,
        before=before,
    )
