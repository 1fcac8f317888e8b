"""A NexusService opened in-process on SQLite or on a throwaway PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus.config import ServerSettings
from nexus.files import SYSTEM, NexusService, Principal, open_service
from tests.support.postgres import temporary_database


@pytest.fixture(params=["sqlite", "postgresql"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NexusService]:
    if request.param == "sqlite":
        opened = open_service(ServerSettings(data_dir=tmp_path / "data"))
        try:
            yield opened
        finally:
            opened.close()
        return
    with temporary_database() as url:
        opened = open_service(ServerSettings(data_dir=tmp_path / "data", database_url=url))
        try:
            yield opened
        finally:
            opened.close()


@pytest.fixture
def people(service: NexusService) -> dict[str, Principal]:
    """admin (first user, so an admin), alice, bob, carol."""
    found: dict[str, Principal] = {}
    for user_id in ("admin", "alice", "bob", "carol"):
        info = service.admin.create_user(SYSTEM, user_id, user_id.title(), f"{user_id}@example.com")
        found[user_id] = Principal(info.id, info.is_admin)
    return found
