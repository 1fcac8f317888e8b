"""Small helpers for the API suite: exact-exception assertions and listing shortcuts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from nexus.client.interface import NexusClient
from nexus.errors import NexusError
from tests.support.deployments import Deployment


@contextmanager
def raises(
    cls: type[NexusError], code: str | None = None, *, path: str | None = None
) -> Iterator[pytest.ExceptionInfo[NexusError]]:
    """Expect exactly ``cls`` (not a subclass or a sibling), with ``detail_code`` ``code``."""
    with pytest.raises(NexusError) as info:
        yield info
    error = info.value
    assert type(error) is cls, (
        f"expected {cls.__name__}, got {type(error).__name__} ({error.detail_code}): {error}"
    )
    if code is not None:
        assert error.detail_code == code, f"expected detail_code {code!r}, got: {error!r}"
    if path is not None:
        assert error.path == path, f"expected path {path!r}, got {error.path!r}"


def paths(entries: list[dict[str, Any]]) -> set[str]:
    """The ``path`` of each FileInfo in a listing."""
    return {entry["path"] for entry in entries}


def clients(team: Deployment, *users: str) -> list[NexusClient]:
    return [team.as_user(user) for user in users]


def grant(
    client: NexusClient,
    subject_id: str,
    path: str,
    relation: str,
    subject_type: str = "user",
) -> dict[str, Any]:
    return client.grant_permission(subject_type, subject_id, "file", path, relation)


def revoke(
    client: NexusClient,
    subject_id: str,
    path: str,
    relation: str,
    subject_type: str = "user",
) -> dict[str, Any]:
    return client.revoke_permission(subject_type, subject_id, "file", path, relation)


def check(
    client: NexusClient,
    subject_id: str,
    path: str,
    relation: str,
    subject_type: str = "user",
) -> bool:
    return client.check_permission(subject_type, subject_id, "file", path, relation)


def grants_on(client: NexusClient, path: str) -> set[tuple[str, str, str]]:
    """(subject_type, subject_id, relation) of every direct grant on ``path``."""
    return {
        (record["subject_type"], record["subject_id"], record["relation"])
        for record in client.list_permissions(object_type="file", object_id=path)
    }
