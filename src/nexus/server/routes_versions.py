"""Version routes: a file's history, restoring a version, and storage garbage collection."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from nexus.api.described import PATH_DESCRIPTION, AnyPath
from nexus.api.models import FileInfo, RestoreRequest, StorageSweep, VersionList
from nexus.server.dependencies import Caller, Service
from nexus.server.routing import api_router

router = api_router("", "versions")

PathParam = Annotated[AnyPath, Query(description=PATH_DESCRIPTION)]


@router.get("/files/versions")
def list_versions(service: Service, caller: Caller, path: PathParam) -> VersionList:
    return service.versions.list_versions(caller, path)


@router.post("/files/restore")
def restore_version(service: Service, caller: Caller, body: RestoreRequest) -> FileInfo:
    return service.versions.restore_version(
        caller, body.path, body.version, if_version=body.if_version
    )


@router.post("/admin/gc", tags=["admin"])
def collect_garbage(service: Service, caller: Caller) -> StorageSweep:
    return service.maintenance.collect_garbage(caller)
