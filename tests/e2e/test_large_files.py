"""A large file round-trips through a real server without the server holding it in memory.

The suite moves 200 MiB; ``NEXUS_LARGE_FILE_MIB=1024`` runs the issue's 1 GiB case. The
server's peak resident memory (VmHWM from /proc) may grow by less than 100 MB over its size
before the upload, whatever the file size: the upload is streamed to disk, the download
from disk, range requests included.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nexus.client.http import HttpClient
from tests.support.server_process import ServerProcess

MIB = 1024 * 1024
FILE_MIB = int(os.environ.get("NEXUS_LARGE_FILE_MIB", "200"))
MAX_GROWTH = 100 * 1000 * 1000
PATH = "/workspace/large.bin"
ROUTE = "/api/v1/files/content"


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def content() -> Iterator[bytes]:
    """FILE_MIB MiB that differ from chunk to chunk (no run of equal blocks to hide a bug)."""
    for index in range(FILE_MIB):
        yield index.to_bytes(4, "big") * (MIB // 4)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_large_file_streams_through_the_server(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    # The blob, its temp file while it is written, and some room.
    assert free > 3 * FILE_MIB * MIB, f"needs {3 * FILE_MIB} MiB free in {tmp_path}"
    server = ServerProcess(tmp_path / "data", env={"NEXUS_MAX_FILE_BYTES": str(2 * FILE_MIB * MIB)})
    server.start()
    try:
        assert server.process is not None
        pid = server.process.pid
        with HttpClient("http://nexus-admin", None, uds=server.admin_socket) as admin:
            admin.create_user("admin", "Admin", "admin@example.com")
            key = admin.create_api_key("admin", "large")["key"]
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=300) as http:
            # Warm up every route used below, so their first-use allocations are baseline.
            http.put(ROUTE, params={"path": PATH}, content=b"warm").raise_for_status()
            http.get(ROUTE, params={"path": PATH}, headers={"Range": "bytes=0-1"})
            before = memory_kib(pid, "VmRSS") * 1024

            expected = hashlib.sha256()

            def sent() -> Iterator[bytes]:
                for chunk in content():
                    expected.update(chunk)
                    yield chunk

            stored = http.put(ROUTE, params={"path": PATH}, content=sent())
            assert stored.status_code == 200, stored.text
            assert stored.json()["size"] == FILE_MIB * MIB
            assert stored.json()["etag"] == expected.hexdigest()

            received = hashlib.sha256()
            size = 0
            with http.stream("GET", ROUTE, params={"path": PATH}) as response:
                assert response.status_code == 200
                assert response.headers["content-length"] == str(FILE_MIB * MIB)
                for chunk in response.iter_bytes():
                    received.update(chunk)
                    size += len(chunk)
            assert (size, received.hexdigest()) == (FILE_MIB * MIB, expected.hexdigest())

            # The last MiB and a range across the middle, through the Python client too.
            last = http.get(ROUTE, params={"path": PATH}, headers={"Range": f"bytes=-{MIB}"})
            assert last.status_code == 206
            assert last.content == (FILE_MIB - 1).to_bytes(4, "big") * (MIB // 4)
            with HttpClient(server.url, key, timeout=300) as client:
                middle = client.read(PATH, offset=FILE_MIB // 2 * MIB - 2, length=4)
                assert (
                    middle
                    == (FILE_MIB // 2 - 1).to_bytes(4, "big")[2:]
                    + (FILE_MIB // 2).to_bytes(4, "big")[:2]
                )

            peak = memory_kib(pid, "VmHWM") * 1024
        growth = peak - before
        print(f"server memory: {before / MIB:.0f} MiB before, peak {peak / MIB:.0f} MiB")
        assert growth < MAX_GROWTH, f"server memory grew by {growth / MIB:.0f} MiB"
        assert not list((server.data_dir / "blobs" / "tmp").iterdir())
    finally:
        server.stop()
