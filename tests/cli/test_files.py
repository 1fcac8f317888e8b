from __future__ import annotations

import json
from typing import Any
from unittest.mock import Mock

from nexus.client.interface import NexusClient
from nexus.errors import NexusConflictError

from .conftest import Run


def mock(method: object) -> Mock:
    assert isinstance(method, Mock)
    return method


def entry(path: str, kind: str = "file", **extra: Any) -> dict[str, Any]:
    return {
        "path": path,
        "name": path.rsplit("/", 1)[-1],
        "type": kind,
        "size": 5 if kind == "file" else 0,
        "modified": "2026-01-02T03:04:05.123456",
        "created": "2026-01-01T00:00:00",
        "version": 2 if kind == "file" else 0,
        "etag": "e" * 64 if kind == "file" else None,
        "owner": "alice",
        "restricted": False,
        **extra,
    }


def test_cat_writes_raw_bytes(run: Run, fake: NexusClient) -> None:
    def read_to(path: str, destination: Any, *, version: int | None = None) -> int:
        destination.write(b"\x00\xff binary\n")
        return 10

    mock(fake.read_to).side_effect = read_to
    result = run(["cat", "/workspace/blob.bin"])
    assert result.exit_code == 0
    assert result.stdout_bytes == b"\x00\xff binary\n"
    assert mock(fake.read_to).call_args.kwargs == {"version": None}
    run(["cat", "/workspace/blob.bin", "--version", "1"])
    assert mock(fake.read_to).call_args.kwargs == {"version": 1}


def test_cat_a_range(run: Run, fake: NexusClient) -> None:
    mock(fake.read).return_value = b"art"
    result = run(["cat", "/workspace/blob.bin", "--offset", "2", "--length", "3"])
    assert (result.exit_code, result.stdout_bytes) == (0, b"art")
    mock(fake.read).assert_called_once_with("/workspace/blob.bin", version=None, offset=2, length=3)
    assert run(["cat", "/workspace/blob.bin", "--offset", "-1"]).exit_code == 2


def test_write_text_argument(run: Run, fake: NexusClient) -> None:
    mock(fake.write).return_value = entry("/workspace/a.txt", size=6)
    result = run(["write", "/workspace/a.txt", "héllo"])
    assert result.exit_code == 0
    mock(fake.write).assert_called_once_with(
        "/workspace/a.txt", "héllo".encode(), if_version=None, if_none_match=False
    )
    assert result.stdout == "Wrote 6 bytes to /workspace/a.txt (version 2).\n"


def test_write_from_stdin_with_if_version(run: Run, fake: NexusClient) -> None:
    sent: list[bytes] = []

    def write(path: str, data: Any, **conditions: Any) -> dict[str, Any]:
        sent.append(data.read())  # stdin is handed over as a stream
        assert conditions == {"if_version": 1 if len(sent) == 1 else None, "if_none_match": False}
        return entry(path, size=len(sent[-1]))

    mock(fake.write).side_effect = write
    result = run(["write", "/workspace/a.txt", "--if-version", "1"], stdin=b"from\nstdin\xff")
    assert result.exit_code == 0
    assert result.stdout == "Wrote 11 bytes to /workspace/a.txt (version 2).\n"
    run(["write", "/workspace/a.txt", "-"], stdin=b"dash")
    assert sent == [b"from\nstdin\xff", b"dash"]


def test_write_conflict_is_one_error_line(run: Run, fake: NexusClient) -> None:
    mock(fake.write).side_effect = NexusConflictError(
        "version 1 is not the current version 3", path="/workspace/a.txt"
    )
    result = run(["write", "/workspace/a.txt", "x", "--if-version", "1"])
    assert result.exit_code == 1
    assert result.stderr == "Error: version 1 is not the current version 3 (version_conflict)\n"
    assert "Traceback" not in result.output


def test_append(run: Run, fake: NexusClient) -> None:
    mock(fake.append).return_value = entry("/workspace/log", size=12, version=3)
    result = run(["append", "/workspace/log", "line\n"])
    mock(fake.append).assert_called_once_with("/workspace/log", b"line\n")
    assert result.stdout == "Appended 5 bytes to /workspace/log (version 3, 12 bytes).\n"


def test_ls_short_recursive_and_long(run: Run, fake: NexusClient) -> None:
    listing = [entry("/workspace/p", "directory"), entry("/workspace/p/a.md")]
    mock(fake.list_files).return_value = listing
    result = run(["ls", "/workspace"])
    mock(fake.list_files).assert_called_with("/workspace", recursive=False)
    assert result.stdout == "p/\na.md\n"
    result = run(["ls", "/workspace", "-r"])
    mock(fake.list_files).assert_called_with("/workspace", recursive=True)
    assert result.stdout == "/workspace/p/\n/workspace/p/a.md\n"
    lines = run(["ls", "/workspace", "--long"]).stdout.splitlines()
    assert lines[0].startswith("d- alice")
    assert lines[1].startswith("-- alice")
    assert "2026-01-02 03:04:05" in lines[1] and "v2" in lines[1] and lines[1].endswith("a.md")
    assert json.loads(run(["ls", "/workspace", "--json"]).stdout) == listing


def test_ls_defaults_to_root(run: Run, fake: NexusClient) -> None:
    mock(fake.list_files).return_value = []
    result = run(["ls"])
    assert result.exit_code == 0
    mock(fake.list_files).assert_called_once_with("/", recursive=False)


def test_mkdir_rm_mv(run: Run, fake: NexusClient) -> None:
    mock(fake.mkdir).return_value = entry("/workspace/d", "directory")
    assert run(["mkdir", "/workspace/d"]).stdout == "Directory /workspace/d is ready.\n"
    mock(fake.mkdir).assert_called_once_with("/workspace/d", parents=True, exist_ok=True)
    assert run(["rm", "/workspace/d", "-r"]).stdout == "Deleted /workspace/d.\n"
    mock(fake.delete).assert_called_once_with("/workspace/d", recursive=True)
    mock(fake.move).return_value = entry("/workspace/b")
    assert run(["mv", "/workspace/a", "/workspace/b"]).stdout == (
        "Moved /workspace/a -> /workspace/b.\n"
    )
    mock(fake.move).assert_called_once_with("/workspace/a", "/workspace/b")


def test_restrict_on_and_off(run: Run, fake: NexusClient) -> None:
    mock(fake.set_restricted).return_value = entry("/w/c", "directory", restricted=True)
    result = run(["restrict", "/w/c"])
    mock(fake.set_restricted).assert_called_with("/w/c", restricted=True)
    assert "is restricted" in result.stdout
    mock(fake.set_restricted).return_value = entry("/w/c", "directory")
    result = run(["restrict", "/w/c", "--off"])
    mock(fake.set_restricted).assert_called_with("/w/c", restricted=False)
    assert "no longer restricted" in result.stdout


def test_stat_and_whoami(run: Run, fake: NexusClient) -> None:
    mock(fake.stat).return_value = entry("/workspace/a.txt")
    lines = run(["stat", "/workspace/a.txt"]).stdout.splitlines()
    assert "path: /workspace/a.txt" in lines
    assert "version: 2" in lines
    assert "owner: alice" in lines
    mock(fake.whoami).return_value = {"user_id": "system", "is_admin": True}
    assert run(["whoami"]).stdout == "system (admin)\n"
    mock(fake.whoami).return_value = {"user_id": "bob", "is_admin": False}
    assert run(["whoami"]).stdout == "bob\n"
    assert json.loads(run(["whoami", "--json"]).stdout) == {"user_id": "bob", "is_admin": False}
