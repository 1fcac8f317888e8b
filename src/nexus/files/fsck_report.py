"""What `nexus admin fsck` found: findings with stable kinds, counts, and a verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Kinds of finding. Problems mean lost or inconsistent data and make fsck fail; notices are
# leftovers a crash may legitimately leave (the garbage collector's business), never damage.
MISSING_BLOB = "missing_blob"
CORRUPT_BLOB = "corrupt_blob"
SIZE_MISMATCH = "size_mismatch"
BAD_DIGEST = "bad_digest"
FILE_WITHOUT_CONTENT = "file_without_content"
VERSION_MISMATCH = "version_mismatch"
MISSING_VERSION_RECORD = "missing_version_record"
VERSION_AHEAD = "version_ahead"
VERSION_WITHOUT_ENTRY = "version_without_entry"
ROOT = "root"
MISSING_PARENT = "missing_parent"
PARENT_NOT_DIRECTORY = "parent_not_directory"
CYCLE = "cycle"
DUPLICATE_NAME = "duplicate_name"
BAD_NAME = "bad_name"
BAD_KIND = "bad_kind"
DANGLING_RELATIONSHIP = "dangling_relationship"
DATABASE_CORRUPT = "database_corrupt"
ORPHAN_BLOB = "orphan_blob"
TEMP_FILE = "temp_file"

NOTICE_KINDS = frozenset({ORPHAN_BLOB, TEMP_FILE})


@dataclass(frozen=True)
class Finding:
    kind: str
    message: str
    entry_id: int | None = None
    path: str | None = None
    version: int | None = None
    blob: str | None = None
    age_seconds: float | None = None

    @property
    def is_problem(self) -> bool:
        return self.kind not in NOTICE_KINDS

    def as_dict(self) -> dict[str, Any]:
        found = {key: value for key, value in asdict(self).items() if value is not None}
        found["severity"] = "problem" if self.is_problem else "notice"
        return found

    def line(self) -> str:
        label = "PROBLEM" if self.is_problem else "notice"
        return f"{label} {self.kind}: {self.message}"


@dataclass
class FsckReport:
    """``store`` names what was checked (the data dir, or a database URL without password)."""

    store: str
    counts: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    @property
    def problems(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.is_problem]

    @property
    def notices(self) -> list[Finding]:
        return [finding for finding in self.findings if not finding.is_problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "store": self.store,
            "counts": dict(self.counts),
            "problems": [finding.as_dict() for finding in self.problems],
            "notices": [finding.as_dict() for finding in self.notices],
        }

    def summary_lines(self) -> list[str]:
        counts = self.counts
        verdict = "OK" if self.ok else f"{len(self.problems)} PROBLEM(S)"
        return [
            f"fsck {self.store}: {verdict}",
            f"  {counts.get('entries', 0)} entries ({counts.get('files', 0)} files, "
            f"{counts.get('directories', 0)} directories), {counts.get('versions', 0)} "
            f"versions, {counts.get('relationships', 0)} relationships",
            f"  {counts.get('blobs_referenced', 0)} blobs referenced and verified, "
            f"{counts.get('blobs_stored', 0)} stored ({counts.get('blob_bytes', 0)} bytes), "
            f"{counts.get('orphan_blobs', 0)} orphan, {counts.get('temp_files', 0)} temp files",
            f"  {len(self.problems)} problem(s), {len(self.notices)} notice(s)",
        ]
