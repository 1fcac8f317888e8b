"""The benchmark runs end to end (a tiny run; the real figures come from ./scripts/bench)."""

from __future__ import annotations

import pytest

from benchmarks import http_ops
from tests.support.postgres import require_postgres

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_http_benchmark_prints_a_table_per_backend() -> None:
    require_postgres()
    table = http_ops.main(["--seconds", "1", "--clients", "2", "--workers", "2"])
    sqlite, postgresql = table.split("\n\n")
    for text, backend in ((sqlite, "SQLite"), (postgresql, "PostgreSQL")):
        title, _header, *rows = text.splitlines()
        assert title.startswith(f"HTTP, {backend}, 2 clients, 2 server worker(s)")
        assert [row.split("  ")[0].strip() for row in rows] == [
            "write 1 KiB (new files)",
            "read 1 KiB",
            "append 64 B",
            "exists",
            "list 20 entries",
        ]
        for row in rows:
            ops_per_second, _p50, _p99, failed = row.split()[-4:]
            assert float(ops_per_second) > 0
            assert failed == "0"  # every request of every operation succeeded


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
