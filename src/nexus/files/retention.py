"""Version retention: dropping old versions by the server's keep-last and keep-days rules.

A version goes when it is more than ``version_keep_last - 1`` versions behind its file's
current one, or when it was replaced more than ``version_keep_days`` days ago (0 turns a
rule off). The current version always stays. The blobs of dropped versions are freed by the
next blob collection (nexus.files.blob_gc), unless something else still refers to them.
"""

from __future__ import annotations

from nexus.files.runtime import Runtime
from nexus.metadata.history import prune_beyond_count, prune_superseded_before

DAY_SECONDS = 24 * 3600


def prune_versions(runtime: Runtime, now: float) -> int:
    """Apply the retention rules to every file at once; returns how many versions went."""
    settings = runtime.settings
    removed = 0
    with runtime.db.write() as conn:
        if settings.version_keep_last:
            removed += prune_beyond_count(conn, settings.version_keep_last)
        if settings.version_keep_days:
            cutoff = now - settings.version_keep_days * DAY_SECONDS
            removed += prune_superseded_before(conn, cutoff)
    return removed
