"""`nexus admin fsck` as a user runs it: the real console script in a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus.config import ServerSettings
from nexus.files import SYSTEM, open_service
from tests.support.postgres import temporary_database
from tests.support.server_process import NEXUS


def _nexus(*args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("NEXUS_")}
    return subprocess.run(
        [NEXUS, *args], capture_output=True, text=True, timeout=120, check=False, env=env
    )


def _make_store(settings: ServerSettings) -> None:
    service = open_service(settings)
    try:
        service.files.write(SYSTEM, "/workspace/notes.txt", b"remember the milk\n")
        service.files.append(SYSTEM, "/workspace/notes.txt", b"and the eggs\n")
    finally:
        service.close()


CONTENT = b"remember the milk\nand the eggs\n"
TAMPERED = b"remember the milk\nand the beer\n"


def _damage(settings: ServerSettings) -> None:
    digest = hashlib.sha256(CONTENT).hexdigest()
    (settings.blob_dir / digest[:2] / digest).write_bytes(TAMPERED)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerSettings]:
    if request.param == "sqlite":
        settings = ServerSettings(data_dir=tmp_path / "data")
        _make_store(settings)
        yield settings
        return
    with temporary_database() as url:
        settings = ServerSettings(data_dir=tmp_path / "data", database_url=url)
        _make_store(settings)
        yield settings


def _where(settings: ServerSettings) -> list[str]:
    found = ["--data-dir", str(settings.data_dir)]
    return found + (["--db-url", settings.database_url] if settings.database_url else [])


def test_a_clean_store_exits_0_with_a_summary(store: ServerSettings) -> None:
    done = _nexus("admin", "fsck", *_where(store))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].endswith(": OK")
    assert "2 versions" in done.stdout and "0 problem(s)" in done.stdout


def test_damage_exits_1_with_one_line_per_problem(store: ServerSettings) -> None:
    _damage(store)
    done = _nexus("admin", "fsck", *_where(store))
    assert done.returncode == 1
    problems = [line for line in done.stdout.splitlines() if line.startswith("PROBLEM")]
    # The file's current content and its version 2 record.
    recorded, actual = hashlib.sha256(CONTENT).hexdigest(), hashlib.sha256(TAMPERED).hexdigest()
    assert (
        problems
        == [
            f"PROBLEM corrupt_blob: /workspace/notes.txt version 2: blob {recorded} holds bytes "
            f"hashing to {actual}"
        ]
        * 2
    )


def test_json_lists_problems_and_notices_apart(store: ServerSettings) -> None:
    _damage(store)
    (store.blob_dir / "tmp" / "tmpleftover").write_bytes(b"partial")
    done = _nexus("admin", "fsck", "--json", *_where(store))
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["ok"] is False
    assert [problem["kind"] for problem in report["problems"]] == ["corrupt_blob"] * 2
    assert report["problems"][0]["path"] == "/workspace/notes.txt"
    assert [notice["kind"] for notice in report["notices"]] == ["temp_file"]
    assert report["counts"]["temp_files"] == 1
    assert "password" not in done.stdout


def test_the_admin_groups_data_dir_is_used(tmp_path: Path) -> None:
    settings = ServerSettings(data_dir=tmp_path / "data")
    _make_store(settings)
    assert _nexus("admin", "--data-dir", str(settings.data_dir), "fsck").returncode == 0
    assert _nexus("--data-dir", str(settings.data_dir), "admin", "fsck").returncode == 0


def test_nothing_to_check_exits_2_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    done = _nexus("admin", "fsck", "--data-dir", str(missing))
    assert done.returncode == 2
    assert done.stderr.startswith("Error: no Nexus database in")
    assert "(fsck_unavailable)" in done.stderr
    assert not missing.exists()


def test_an_unreachable_database_exits_2(tmp_path: Path) -> None:
    done = _nexus(
        "admin",
        "fsck",
        "--data-dir",
        str(tmp_path),
        "--db-url",
        "postgresql://nobody:secret@127.0.0.1:1/none",
    )
    assert done.returncode == 2
    assert "cannot read the database" in done.stderr
    assert "Traceback" not in done.stderr
    assert "secret" not in done.stderr
