"""Throughput and latency of common operations over HTTP against a real `nexus serve`.

Prints one table per backend (SQLite, then PostgreSQL; `--backend` picks one) with a row per
operation: ops/s, p50 and p99 in milliseconds, with N concurrent clients (threads, one HTTP
client each) on this machine. The server runs with the per-key rate limit off (the title says
so): its clients share one key and run far above the default budget on purpose.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nexus
from nexus.client.http import HttpClient
from nexus.client.interface import NexusClient
from tests.support.postgres import backend_database
from tests.support.server_process import UNLIMITED, ServerProcess


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def measure(
    clients: list[NexusClient], operations: int, operation: Callable[[NexusClient, int], object]
) -> tuple[float, float, float]:
    """(ops/s, p50 ms, p99 ms) for ``operations`` calls spread over the clients."""
    per_client = max(1, operations // len(clients))
    latencies: list[float] = []

    def run(index: int) -> list[float]:
        client = clients[index]
        mine = []
        for i in range(per_client):
            start = time.perf_counter()
            operation(client, index * per_client + i)
            mine.append(time.perf_counter() - start)
        return mine

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        for result in pool.map(run, range(len(clients))):
            latencies.extend(result)
    elapsed = time.perf_counter() - started
    return (
        len(latencies) / elapsed,
        statistics.median(latencies) * 1000,
        _percentile(latencies, 0.99) * 1000,
    )


BACKENDS = ("sqlite", "postgresql")


def run_backend(backend: str, operations: int, client_count: int) -> list[str]:
    """The table's lines for one backend: a fresh server, 16 clients of one user."""
    with tempfile.TemporaryDirectory() as tmp, backend_database(backend) as db_url:
        # 16 clients on one key, flat out: far above the default per-key rate limit.
        server = ServerProcess(Path(tmp) / "data", db_url=db_url, env=UNLIMITED).start()
        try:
            admin = HttpClient("http://nexus-admin", None, uds=server.admin_socket)
            admin.create_user("admin", "Admin", "admin@example.com")
            admin.create_user("alice", "Alice", "alice@example.com")
            key = admin.create_api_key("alice", "bench")["key"]
            clients = [
                nexus.connect(config={"url": server.url, "api_key": key})
                for _ in range(client_count)
            ]
            payload = b"x" * 1024
            setup = clients[0]
            for i in range(100):
                setup.write(f"/workspace/bench/read/{i}.txt", payload)
            for i in range(20):
                setup.write(f"/workspace/bench/small/{i}.txt", payload)
            rows = [
                (
                    "write 1 KiB (new files)",
                    lambda c, i: c.write(f"/workspace/bench/w/{i}", payload),
                ),
                ("read 1 KiB", lambda c, i: c.read(f"/workspace/bench/read/{i % 100}.txt")),
                ("append 64 B", lambda c, i: c.append(f"/workspace/bench/log{i % 16}", b"y" * 64)),
                ("exists", lambda c, i: c.exists(f"/workspace/bench/read/{i % 100}.txt")),
                ("list 20 entries", lambda c, i: c.list_files("/workspace/bench/small")),
            ]
            lines = [
                f"HTTP, {_LABELS[backend]}, {client_count} clients, "
                f"{operations} operations each row, rate limit off",
                f"{'operation':<26}{'ops/s':>10}{'p50 ms':>10}{'p99 ms':>10}",
            ]
            for label, operation in rows:
                ops, p50, p99 = measure(clients, operations, operation)
                lines.append(f"{label:<26}{ops:>10.0f}{p50:>10.2f}{p99:>10.2f}")
                print(lines[-1] if len(lines) > 3 else "\n".join(lines), flush=True)
            for client in [*clients, admin]:
                client.close()
        finally:
            server.stop()
    return lines


_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operations", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--backend", choices=[*BACKENDS, "both"], default="both")
    args = parser.parse_args(argv)
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    tables = ["\n".join(run_backend(b, args.operations, args.clients)) for b in backends]
    table = "\n\n".join(tables)
    print()
    print(table)
    return table


if __name__ == "__main__":
    main()
