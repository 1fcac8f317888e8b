"""The API suite runs every test against both clients (the `team` fixture of tests/conftest.py).

A product bug that shows in only one mode is marked with ``@pytest.mark.bug_in(mode, reason=...)``:
that test's run in ``mode`` becomes ``xfail(strict=True)``, the other mode must pass.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "bug_in(*modes, reason): a known product bug in these client modes (strict xfail there)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("bug_in")
        callspec = getattr(item, "callspec", None)
        if marker is None or callspec is None:
            continue
        if callspec.params.get("team") in marker.args:
            item.add_marker(pytest.mark.xfail(strict=True, reason=marker.kwargs["reason"]))
