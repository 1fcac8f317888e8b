"""Shared fixtures: deployments of Nexus (embedded and over HTTP) with the tutorial's team."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.deployments import Deployment, deployment


@pytest.fixture(params=["embedded", "http"])
def team(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    """A fresh Nexus with users admin (first, so an admin), alice, bob and carol + keys."""
    with deployment(request.param, tmp_path) as deployed:
        deployed.create_team()
        yield deployed


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked slow run first: pytest-xdist hands modules to its workers in this
    order, and one left to the end would keep a worker busy alone while the other idles."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
