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
