"""Where a route's synchronous work runs: on the event loop or in the thread pool.

A short read on SQLite (an API key, a file's record, a small file) is a few indexed lookups
in a local file, ~50-200 us of CPU. A hop to the thread pool and back costs more than that
(two thread wake-ups, a few system calls), and under the GIL the threads would not overlap
anyway: such reads run on the loop. Everything that may wait (PostgreSQL's round trips,
fsyncs, another writer's lock, a big listing) goes to the pool, where waiting does not hold
up other requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

from nexus.files import NexusService

P = ParamSpec("P")
R = TypeVar("R")


async def short_read(
    service: NexusService, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs
) -> R:
    """Run ``work``, a short read of ``service``'s store, where it costs least."""
    if service.runtime.db.dialect == "sqlite":
        return work(*args, **kwargs)
    return await run_in_threadpool(work, *args, **kwargs)
