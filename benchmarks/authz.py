"""Permission engine benchmark: checks, nesting, filtered listings, list objects, memory.

Builds a real Nexus store on SQLite (default: 1,000,000 relationships), then measures
in-process (the engine and the files service on an open store) and over HTTP (a real
`nexus serve` on the same store). Prints one table; the figures the issue asks for are
marked with their targets.

    python -m benchmarks.authz                       # the full run (about two minutes)
    python -m benchmarks.authz --relationships 20000 --dir-entries 500 --files 2000
"""

from __future__ import annotations

import argparse
import gc
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.authz_dataset import NESTING_LEVELS, Dataset, Sizes, load_or_build
from nexus.authz import SubjectRef
from nexus.client.http import HttpClient
from nexus.config import ServerSettings
from nexus.files.principal import Principal
from nexus.files.service import NexusService, open_service
from tests.support.server_process import ServerProcess

BOB = SubjectRef("user", "bob")


class Table:
    def __init__(self, title: str):
        self.lines = [title, f"{'measurement':<58}{'result':>14}  {'target':<14}"]

    def row(self, label: str, value: str, target: str = "") -> None:
        self.lines.append(f"{label:<58}{value:>14}  {target:<14}")
        print(self.lines[-1], flush=True)

    def __str__(self) -> str:
        return "\n".join(self.lines)


def timed(action: Callable[[], object], repeat: int, *, collect: bool = False) -> list[float]:
    """Seconds per call, ``repeat`` calls. Microsecond figures are taken with the garbage
    collector off (its pauses would be noise at that scale); ``collect`` keeps it on, for
    the big operations whose allocations make it run: their pauses are part of their cost."""
    samples = []
    if not collect:
        gc.disable()
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            action()
            samples.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return samples


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:.1f} us"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def measure_checks(service: NexusService, data: Dataset, table: Table, repeat: int) -> None:
    engine = service.runtime.engine
    with service.runtime.db.read() as conn:

        def check(subject: SubjectRef = BOB) -> None:
            assert engine.check(conn, subject, "can_read", data.deep_file)

        check()
        warm = timed(check, repeat)
        table.row("warm check, 5 dir levels, group nested 3 deep: p50", _us(p50(warm)), "<= 20 us")
        table.row("  p99", _us(sorted(warm)[int(len(warm) * 0.99)]))

        def cold_check() -> None:
            engine.clear_cache()
            check()

        cold = timed(cold_check, max(20, repeat // 50))
        table.row(
            f"cold check (caches empty), {data.relationships:,} tuples: p50",
            _us(p50(cold)),
            "<= 1 ms",
        )
        warm_by_depth: dict[int, float] = {}
        cold_by_depth: dict[int, float] = {}
        for depth, user in sorted(data.nesting_users.items()):
            check(user)
            warm_by_depth[depth] = p50(timed(lambda u=user: check(u), repeat // 5))

            def cold_nested(u: SubjectRef = user) -> None:
                engine.clear_cache()
                check(u)

            cold_by_depth[depth] = p50(timed(cold_nested, 20))
        for label, by_depth in (("warm", warm_by_depth), ("cold", cold_by_depth)):
            ratio = max(by_depth.values()) / min(by_depth.values())
            table.row(
                f"{label} check, groups nested 1..{NESTING_LEVELS}: max/min p50",
                f"{ratio:.2f}",
                "<= 2" if label == "warm" else "",
            )
            table.row(
                f"  p50 at depth 1 / {NESTING_LEVELS}",
                f"{by_depth[1] * 1e6:.0f}/{by_depth[NESTING_LEVELS] * 1e6:.0f} us",
            )
    bob = Principal("bob", False)
    service_check = timed(
        lambda: service.permissions.check(
            bob, "user", "bob", "file", "/workspace/l1/l2/l3/l4/l5/deep.txt", "can_read"
        ),
        max(50, repeat // 20),
    )
    table.row("files service check by path (own transaction): p50", _us(p50(service_check)))


def measure_listing(
    service: NexusService, sizes: Sizes, table: Table, server: ServerProcess, key: str
) -> None:
    bob = Principal("bob", False)
    for folder, note in (("big", "55% readable"), ("shared", "all readable")):
        path = f"/workspace/{folder}"
        expected = (
            sizes.dir_entries // 2 + sizes.dir_entries // 20
            if folder == "big"
            else sizes.dir_entries
        )
        assert len(service.files.list(bob, path)) == expected
        cold = timed(lambda p=path: _cold_list(service, bob, p), 5, collect=True)
        warm = timed(lambda p=path: service.files.list(bob, p), 5, collect=True)
        table.row(
            f"list {sizes.dir_entries:,} entries ({note}), in-process cold",
            _ms(p50(cold)),
            "<= 100 ms",
        )
        table.row("  warm", _ms(p50(warm)))
        with HttpClient(server.url, key) as client:
            assert len(client.list_files(path)) == expected
            http = timed(lambda p=path, c=client: c.list_files(p), 5, collect=True)
            after_write = _after_a_write_elsewhere(service, client, path, 5)
        table.row("  over HTTP (server warm)", _ms(p50(http)), "<= 250 ms")
        # On a busy server every grant anywhere starts a new revision: its caches go cold.
        table.row("  over HTTP, each right after a grant elsewhere", _ms(p50(after_write)))


def _after_a_write_elsewhere(
    service: NexusService, client: HttpClient, path: str, repeat: int
) -> list[float]:
    """HTTP listings, each after a relationship write through another process (this one):
    the server sees a new revision and answers from cold caches."""
    samples = []
    for _ in range(repeat):
        with service.runtime.db.write() as conn:
            service.runtime.relationships.bump(conn)  # what every grant and revoke does
        start = time.perf_counter()
        client.list_files(path)
        samples.append(time.perf_counter() - start)
    return samples


def _cold_list(service: NexusService, bob: Principal, path: str) -> None:
    service.runtime.engine.clear_cache()
    service.files.list(bob, path)


def measure_list_objects(service: NexusService, sizes: Sizes, table: Table) -> None:
    engine = service.runtime.engine
    with service.runtime.db.read() as conn:
        for user, note in (("dave", "reads all of /workspace/many"), ("bob", "reads some")):
            subject = SubjectRef("user", user)
            found: list[int] = []

            def run(s: SubjectRef = subject, counts: list[int] = found) -> None:
                engine.clear_cache()
                counts.append(len(engine.list_objects(conn, s, "can_read", "file")))

            samples = timed(run, 3, collect=True)
            table.row(
                f"list objects, {user} ({note}): {found[-1]:,} of "
                f"{sizes.files + 2 * sizes.dir_entries:,}",
                _ms(p50(samples)),
                "<= 500 ms",
            )


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident set size of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def measure_memory(
    server: ServerProcess, bob_key: str, dave_key: str, sizes: Sizes, table: Table
) -> None:
    """The server's memory after it has worked over the whole store: bob's big listings,
    and dave listing every folder of /workspace/many (each entry checked)."""
    assert server.process is not None
    with HttpClient(server.url, bob_key) as bob:
        for folder in ("big", "shared"):
            bob.list_files(f"/workspace/{folder}")
    with HttpClient(server.url, dave_key) as dave:
        for index in range(max(1, sizes.files // 1000)):
            dave.list_files(f"/workspace/many/d{index:03d}")
    current, peak = rss_mb(server.process.pid)
    table.row(
        "server RSS after the listings above (peak)", f"{current:.0f} ({peak:.0f}) MB", "< 500 MB"
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--relationships", type=int, default=Sizes.relationships)
    parser.add_argument("--dir-entries", type=int, default=Sizes.dir_entries)
    parser.add_argument("--files", type=int, default=Sizes.files)
    parser.add_argument("--repeat", type=int, default=5000, help="samples per check figure")
    parser.add_argument("--data-dir", type=Path, help="keep the store here (default: temp)")
    args = parser.parse_args(argv)
    sizes = Sizes(args.relationships, args.dir_entries, args.files)

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        data = load_or_build(data_dir, sizes)
        table = Table(
            f"Permission benchmark, SQLite: {data.relationships:,} relationships, "
            f"{data.entries:,} entries "
            + (f"(built in {data.build_seconds:.0f} s)" if data.build_seconds else "(store reused)")
        )
        print(table.lines[0], table.lines[1], sep="\n", flush=True)
        service = open_service(ServerSettings(data_dir=data_dir))
        # As `nexus serve` does after startup: what is built by now lives as long as the
        # process, and the collector's full passes skip it (its pauses still count below).
        gc.freeze()
        server = ServerProcess(data_dir).start()
        try:
            with service.runtime.db.write() as conn:
                key, _ = service.runtime.keys.create(conn, "bob", "bench", None, time.time())
                dave_key, _ = service.runtime.keys.create(conn, "dave", "bench", None, time.time())
            measure_checks(service, data, table, args.repeat)
            measure_listing(service, sizes, table, server, key)
            measure_list_objects(service, sizes, table)
            measure_memory(server, key, dave_key, sizes, table)
        finally:
            server.stop()
            service.close()
    return str(table)


if __name__ == "__main__":
    main()
