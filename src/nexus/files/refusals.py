"""Refused attempts go to the activity log from a background thread, in batches.

A refusal changes nothing, so it has no transaction of its own to ride in. Written at once,
each would cost the caller a write transaction and an fsync on the request's path (and a
read refused on the event loop would wait there for the writer lock); a stream of refused
requests would cost one commit each. Queued instead, they are committed by one thread, many
per transaction, within moments. Readers of the log flush the queue first, so a process
always shows its own refusals; a crash loses at most the last moments' refusals (never a
change: those are recorded in their own transaction).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from sqlalchemy import Connection

from nexus.metadata.activity import Event

log = logging.getLogger("nexus.activity")

# Queued events beyond this are dropped (and counted in the log): a flood of refusals must
# not grow memory without bound.
MAX_QUEUED = 10_000
# Events per transaction.
BATCH = 500


class RefusalRecorder:
    def __init__(
        self,
        open_write: Callable[[], AbstractContextManager[Connection]],
        add: Callable[[Connection, Event], None],
    ):
        """``open_write()`` opens a write transaction (a context manager yielding its
        connection); ``add(conn, event)`` inserts one event."""
        self._open_write = open_write
        self._add = add
        self._queue: deque[Event] = deque()
        self._changed = threading.Condition()
        self._writing = 0  # events taken off the queue, not yet committed
        self._dropped = 0
        self._closed = False
        self._thread: threading.Thread | None = None

    def record(self, event: Event) -> None:
        with self._changed:
            if self._closed:
                self._write([event])  # after close (shutdown): at once, as before
                return
            if len(self._queue) >= MAX_QUEUED:
                self._dropped += 1
                return
            self._queue.append(event)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="refusal-recorder", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every event recorded so far is committed (or ``timeout`` passes)."""
        with self._changed:
            self._changed.wait_for(lambda: not self._queue and not self._writing, timeout)

    def close(self) -> None:
        self.flush()
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._queue or self._closed)
                if not self._queue:
                    return  # closed and drained
                batch = [self._queue.popleft() for _ in range(min(BATCH, len(self._queue)))]
                self._writing = len(batch)
                dropped, self._dropped = self._dropped, 0
            if dropped:
                log.warning("%d refused attempts were not recorded: too many queued", dropped)
            try:
                self._write(batch)
            finally:
                with self._changed:
                    self._writing = 0
                    self._changed.notify_all()

    def _write(self, events: Sequence[Event]) -> None:
        try:
            with self._open_write() as conn:
                for event in events:
                    self._add(conn, event)
        except Exception:  # a lost log line must not stop the recorder
            log.exception("could not record %d refused attempt(s)", len(events))
