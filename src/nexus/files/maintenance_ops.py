"""Storage upkeep: version retention, then blob collection; from `nexus admin gc` (admins,
recorded in the activity log with what went) and from the server's background sweeper."""

from __future__ import annotations

import threading
import time

from nexus.api.models import StorageSweep
from nexus.errors import NexusPermissionError
from nexus.files.activity import audited, record_admin_after
from nexus.files.blob_gc import collect_blobs
from nexus.files.principal import Principal
from nexus.files.retention import prune_versions
from nexus.files.runtime import Runtime


class MaintenanceOperations:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self._last_sweep: float | None = None  # time.monotonic() of the last sweep
        self._sweeping = threading.Lock()

    @audited("collect_garbage", path=None)
    def collect_garbage(self, principal: Principal) -> StorageSweep:
        """Apply version retention and remove unreferenced blobs now (admins only).

        A sweep is many short transactions (each removal stands on its own and is redone by
        the next sweep if cut off), so its event is written after it, with its counts."""
        if not principal.is_admin:
            raise NexusPermissionError("permission denied: this needs an admin")
        swept = self.sweep()
        record_admin_after(self.runtime, principal, "collect_garbage", swept.model_dump())
        return swept

    def sweep(self) -> StorageSweep:
        # One sweep at a time per process (the admin command and the sweeper thread);
        # other processes may sweep concurrently, which the collector allows for.
        with self._sweeping:
            now = self.runtime.now()
            versions = prune_versions(self.runtime, now)
            collected = collect_blobs(self.runtime, now)
            self._last_sweep = time.monotonic()
        return StorageSweep(
            versions_removed=versions,
            blobs_removed=collected.blobs,
            bytes_freed=collected.bytes,
            temp_files_removed=collected.temp_files,
        )

    def sweep_if_due(self) -> StorageSweep | None:
        """Sweep when ``storage_sweep_seconds`` have passed since the last one (or none ran
        yet in this process); for the server's background thread."""
        interval = self.runtime.settings.storage_sweep_seconds
        last = self._last_sweep
        if last is not None and time.monotonic() - last < interval:
            return None
        return self.sweep()
