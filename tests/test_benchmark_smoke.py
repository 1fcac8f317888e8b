"""The benchmark runs end to end (a tiny run; the real figures come from ./scripts/bench)."""

from __future__ import annotations

import pytest

from benchmarks import http_ops

pytestmark = pytest.mark.e2e


def test_http_benchmark_prints_a_row_per_operation() -> None:
    table = http_ops.main(["--operations", "16", "--clients", "2"])
    rows = table.splitlines()[2:]
    assert [row.split("  ")[0].strip() for row in rows] == [
        "write 1 KiB (new files)",
        "read 1 KiB",
        "append 64 B",
        "exists",
        "list 20 entries",
    ]
    for row in rows:
        ops_per_second = float(row.split()[-3])
        assert ops_per_second > 0


def test_permission_benchmark_runs_small_and_measures_every_target() -> None:
    from benchmarks import authz

    table = authz.main(
        ["--relationships", "20000", "--dir-entries", "300", "--files", "2000", "--repeat", "200"]
    )
    text = table.lower()
    for measurement in (
        "warm check",
        "cold check",
        "nested 1..10",
        "list 300 entries",
        "over http",
        "list objects",
        "server rss",
    ):
        assert measurement in text, measurement
    assert "20,000 relationships" in table.splitlines()[0]
