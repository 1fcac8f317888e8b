"""Throughput and latency of common operations over HTTP against a real `nexus serve`.

Prints one table per backend (SQLite, then PostgreSQL; `--backend` picks one) with a row per
operation: ops/s, p50 and p99 in milliseconds and failed requests, with N concurrent clients
(wrk connections, see benchmarks/wrk.py) against a server with one worker per core. The
server runs with the per-key rate limit off (the title says so): the clients share one key
and run far above the default budget on purpose.

    python -m benchmarks.http_ops                  # 16 clients, 10 s per operation
    python -m benchmarks.http_ops --seconds 3 --clients 4 --backend sqlite
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from urllib.parse import quote

from benchmarks import wrk
from nexus.client.http import ADMIN_SOCKET_URL, HttpClient
from tests.support.postgres import backend_database
from tests.support.server_process import UNLIMITED, ServerProcess

BACKENDS = ("sqlite", "postgresql")
_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_API = "/api/v1/files"
_READ_FILES = 100
_LOGS = 16


def _query(path: str) -> str:
    # {n} and {i} are filled in by wrk per request.
    return quote(path, safe="/{}")


# (label, method, path, body, unique body, cycle)
ROWS: list[tuple[str, str, str, bytes, bool, int]] = [
    (
        "write 1 KiB (new files)",
        "PUT",
        f"{_API}/content?path=" + _query("/workspace/bench/w/{n}.txt"),
        b"x" * 1024,
        True,
        1,
    ),
    (
        "read 1 KiB",
        "GET",
        f"{_API}/content?path=" + _query("/workspace/bench/read/{i}.txt"),
        b"",
        False,
        _READ_FILES,
    ),
    (
        "append 64 B",
        "POST",
        f"{_API}/append?path=" + _query("/workspace/bench/log{i}"),
        b"y" * 63 + b"\n",
        False,
        _LOGS,
    ),
    (
        "exists",
        "GET",
        f"{_API}/exists?path=" + _query("/workspace/bench/read/{i}.txt"),
        b"",
        False,
        _READ_FILES,
    ),
    ("list 20 entries", "GET", f"{_API}/list?path=/workspace/bench/small", b"", False, 1),
]


def run_backend(backend: str, seconds: int, clients: int, workers: int) -> list[str]:
    """The table's lines for one backend: a fresh server, ``clients`` clients of one user."""
    with tempfile.TemporaryDirectory() as tmp, backend_database(backend) as db_url:
        server = ServerProcess(
            Path(tmp) / "data", db_url=db_url, env=UNLIMITED, args=["--workers", str(workers)]
        ).start(timeout=120)
        try:
            with HttpClient(ADMIN_SOCKET_URL, None, uds=server.admin_socket) as admin:
                admin.create_user("admin", "Admin", "admin@example.com")
                admin.create_user("alice", "Alice", "alice@example.com")
                key = admin.create_api_key("alice", "bench")["key"]
            with HttpClient(server.url, key) as setup:
                for i in range(_READ_FILES):
                    setup.write(f"/workspace/bench/read/{i}.txt", b"x" * 1024)
                for i in range(20):
                    setup.write(f"/workspace/bench/small/{i}.txt", b"x" * 1024)
                for i in range(_LOGS):
                    setup.write(f"/workspace/bench/log{i}", b"")
            lines = [
                f"HTTP, {_LABELS[backend]}, {clients} clients, {workers} server worker(s), "
                f"{seconds} s per row, rate limit off",
                f"{'operation':<26}{'ops/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'failed':>8}",
            ]
            print("\n".join(lines), flush=True)
            for label, method, path, body, unique_body, cycle in ROWS:
                figures = wrk.run(
                    server.url,
                    method,
                    path,
                    api_key=key,
                    body=body,
                    unique_body=unique_body,
                    cycle=cycle,
                    connections=clients,
                    seconds=seconds,
                )
                lines.append(
                    f"{label:<26}{figures.ops_per_second:>10.0f}{figures.p50_ms:>10.2f}"
                    f"{figures.p99_ms:>10.2f}{figures.errors:>8}"
                )
                print(lines[-1], flush=True)
        finally:
            server.stop()
    return lines


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="per operation")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    args = parser.parse_args(argv)
    wrk.require_wrk()
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    tables = ["\n".join(run_backend(b, args.seconds, args.clients, args.workers)) for b in backends]
    table = "\n\n".join(tables)
    print()
    print(table)
    return table


if __name__ == "__main__":
    main()
