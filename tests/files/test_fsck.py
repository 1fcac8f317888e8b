"""`run_fsck` on a real store (SQLite and PostgreSQL): clean stores pass, damage is named."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import insert, text, update

from nexus.blobs import LocalBlobStore
from nexus.db.tables import entries, relationships, versions
from nexus.files import SYSTEM, NexusService
from nexus.files.fsck import FsckUnavailableError, run_fsck
from nexus.files.fsck_report import FsckReport


def _kinds(report: FsckReport) -> list[str]:
    return sorted(finding.kind for finding in report.problems)


def _populate(service: NexusService) -> None:
    files = service.files
    files.write(SYSTEM, "/workspace/p/a.txt", b"one")
    files.write(SYSTEM, "/workspace/p/a.txt", b"two")
    files.append(SYSTEM, "/workspace/p/log.txt", b"line 1\n")
    files.append(SYSTEM, "/workspace/p/log.txt", b"line 2\n")
    files.write(SYSTEM, "/workspace/p/same.txt", b"two")  # shares a blob with a.txt
    files.move(SYSTEM, "/workspace/p/same.txt", "/workspace/moved.txt")
    files.write(SYSTEM, "/workspace/gone/x.txt", b"doomed")
    files.delete(SYSTEM, "/workspace/gone", recursive=True)


def _blob_path(service: NexusService, data: bytes):  # type: ignore[no-untyped-def]
    digest = hashlib.sha256(data).hexdigest()
    return service.runtime.settings.blob_dir / digest[:2] / digest


def _entry_id(service: NexusService, path: str) -> int:
    with service.runtime.db.read() as conn:
        return service.runtime.tree.resolve(conn, path)[-1].id


def test_a_clean_store_passes_with_its_counts(service: NexusService) -> None:
    _populate(service)
    report = run_fsck(service.runtime.settings)
    assert report.ok, [finding.line() for finding in report.findings]
    counts = report.counts
    assert counts["files"] == 3
    assert counts["versions"] == 5  # a.txt 2, log.txt 2, same.txt 1 (x.txt went with it)
    # "two" is stored once for two files; "doomed" stays as an orphan until collected.
    assert counts["blobs_referenced"] == 4
    assert [finding.kind for finding in report.notices] == ["orphan_blob"]
    assert report.notices[0].blob == hashlib.sha256(b"doomed").hexdigest()


def test_altered_blob_bytes_are_reported_with_the_path(service: NexusService) -> None:
    _populate(service)
    _blob_path(service, b"line 1\nline 2\n").write_bytes(b"line 1\nline X\n")
    report = run_fsck(service.runtime.settings)
    # The current content and the version 2 record both point at it.
    assert _kinds(report) == ["corrupt_blob", "corrupt_blob"]
    assert {(finding.path, finding.version) for finding in report.problems} == {
        ("/workspace/p/log.txt", 2)
    }


def test_a_missing_blob_is_reported_for_every_file_and_version_using_it(
    service: NexusService,
) -> None:
    _populate(service)
    _blob_path(service, b"two").unlink()
    report = run_fsck(service.runtime.settings)
    # a.txt's current content and version 2 record, moved.txt's content and version 1.
    assert _kinds(report) == ["missing_blob"] * 4
    assert {finding.path for finding in report.problems} == {
        "/workspace/p/a.txt",
        "/workspace/moved.txt",
    }


def test_a_recorded_size_that_does_not_match_the_blob(service: NexusService) -> None:
    _populate(service)
    moved = _entry_id(service, "/workspace/moved.txt")
    with service.runtime.db.write() as conn:
        conn.execute(update(entries).where(entries.c.id == moved).values(size=99))
        conn.execute(update(versions).where(versions.c.entry_id == moved).values(size=99))
    report = run_fsck(service.runtime.settings)
    assert _kinds(report) == ["size_mismatch", "size_mismatch"]


def test_current_content_must_match_its_version_record(service: NexusService) -> None:
    _populate(service)
    a_txt = _entry_id(service, "/workspace/p/a.txt")
    with service.runtime.db.write() as conn:
        conn.execute(
            update(versions)
            .where(versions.c.entry_id == a_txt, versions.c.version == 2)
            .values(blob_hash=hashlib.sha256(b"one").hexdigest(), size=3)
        )
    assert _kinds(run_fsck(service.runtime.settings)) == ["version_mismatch"]
    with service.runtime.db.write() as conn:
        conn.execute(update(entries).where(entries.c.id == a_txt).values(blob_hash=None))
    assert _kinds(run_fsck(service.runtime.settings)) == ["file_without_content"]


def test_a_cycle_and_a_file_used_as_a_folder(service: NexusService) -> None:
    service.files.mkdir(SYSTEM, "/workspace/top/middle/bottom")
    service.files.write(SYSTEM, "/workspace/f.txt", b"f")
    service.files.write(SYSTEM, "/workspace/g.txt", b"g")
    top = _entry_id(service, "/workspace/top")
    bottom = _entry_id(service, "/workspace/top/middle/bottom")
    f_txt, g_txt = _entry_id(service, "/workspace/f.txt"), _entry_id(service, "/workspace/g.txt")
    with service.runtime.db.write() as conn:
        conn.execute(update(entries).where(entries.c.id == top).values(parent_id=bottom))
        conn.execute(update(entries).where(entries.c.id == g_txt).values(parent_id=f_txt))
    report = run_fsck(service.runtime.settings)
    assert _kinds(report) == ["cycle", "parent_not_directory"]
    cycle = next(finding for finding in report.problems if finding.kind == "cycle")
    assert str(top) in cycle.message and str(bottom) in cycle.message


def test_grants_on_deleted_entries_are_dangling(service: NexusService) -> None:
    _populate(service)
    with service.runtime.db.write() as conn:
        conn.execute(
            insert(relationships).values(
                object_type="file",
                object_id="999999",
                relation="can_read",
                subject_type="user",
                subject_id="nobody",
                subject_relation="",
                created_at=0.0,
            )
        )
    report = run_fsck(service.runtime.settings)
    assert _kinds(report) == ["dangling_relationship"]
    assert "file:999999" in report.problems[0].message
    assert "user:nobody" in report.problems[0].message


def test_temp_files_and_orphans_are_notices_not_problems(service: NexusService) -> None:
    blobs = service.runtime.settings.blob_dir
    (blobs / "tmp" / "tmpcutshort").write_bytes(b"half a blo")
    service.runtime.blobs.put(b"never referenced")
    report = run_fsck(service.runtime.settings)
    assert report.ok
    assert sorted(finding.kind for finding in report.notices) == ["orphan_blob", "temp_file"]
    assert all(finding.age_seconds is not None for finding in report.notices)
    as_json = report.as_dict()
    assert as_json["ok"] is True and as_json["problems"] == []
    assert {notice["severity"] for notice in as_json["notices"]} == {"notice"}


def test_a_database_at_another_schema_is_not_checked(service: NexusService) -> None:
    with service.runtime.db.write() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    with pytest.raises(FsckUnavailableError, match="revision 0001"):
        run_fsck(service.runtime.settings)


def test_a_blob_left_in_tmp_by_a_cut_short_collection_is_pointed_at(
    service: NexusService,
) -> None:
    _populate(service)
    blob = _blob_path(service, b"line 1\nline 2\n")
    parked = service.runtime.settings.blob_dir / "tmp" / f"collected-{blob.name}-0123"
    blob.rename(parked)
    report = run_fsck(service.runtime.settings)
    assert _kinds(report) == ["missing_blob", "missing_blob"]
    assert all(str(parked) in finding.message for finding in report.problems)


def test_a_store_in_the_old_blob_layout_is_converted_before_it_is_checked(
    service: NexusService,
) -> None:
    service.files.write(SYSTEM, "/workspace/a.txt", b"kept through the conversion")
    settings = service.runtime.settings
    blob_dir = settings.blob_dir
    for blob in list(service.runtime.blobs.blobs()):  # back to ab/cd/<digest>, as before
        old = blob_dir / blob.name[:2] / blob.name[2:4]
        old.mkdir(exist_ok=True)
        (blob_dir / blob.name[:2] / blob.name).rename(old / blob.name)
    (blob_dir / "LAYOUT").unlink()
    with pytest.raises(FsckUnavailableError) as refused:
        run_fsck(settings)
    assert "old two-level layout" in refused.value.message
    LocalBlobStore(blob_dir)  # what the server does when it opens the store
    report = run_fsck(settings)
    assert report.ok, report.findings
    assert service.files.read(SYSTEM, "/workspace/a.txt")[0] == b"kept through the conversion"
