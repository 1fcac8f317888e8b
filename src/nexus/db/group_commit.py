"""Group commit: the write transactions of one process that meet at SQLite's write lock
share one COMMIT.

SQLite has one writer at a time, and with ``synchronous = FULL`` every COMMIT waits for
an fsync of the WAL. Done one at a time, BEGIN and COMMIT took about as long as the work
between them, and writes queued behind them. Here the first writer (the leader) takes the
lock and begins the transaction; writers that arrive while it holds the lock join its
batch and, in arrival order, run their work on the leader's connection, each in its own
savepoint; one COMMIT then makes the whole batch durable. Nobody's ``with`` block ends
before that COMMIT has, so an acknowledged write is as durable as before.

A writer whose work raises rolls back its own savepoint and gets its own error once the
batch has committed (its refusal may rest on an earlier writer's work, which a caller
reading again must find); the rest of the batch goes on. A COMMIT that fails (an I/O
error, a full disk) fails every writer whose work was in the batch, and none of it is kept.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy import Connection

# A batch's later writers wait for the earlier ones' work; this bounds that wait.
MAX_BATCH = 32


class _Writer:
    """One writer waiting in a batch for its turn on the leader's connection."""

    __slots__ = ("finished", "start")

    def __init__(self) -> None:
        self.start = threading.Event()
        self.finished = threading.Event()


class _Batch:
    __slots__ = ("connection", "done", "error", "queued", "size")

    def __init__(self) -> None:
        self.queued: deque[_Writer] = deque()
        self.size = 1  # the leader
        self.connection: Connection | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


class GroupCommit:
    """Write transactions of one process, batched behind one writer lock.

    ``begin_alone`` is the unbatched write: it takes the writer lock, yields a connection
    in a new transaction and commits it when the block ends (rolls back if it raises).
    """

    def __init__(
        self,
        begin_alone: Callable[[], AbstractContextManager[Connection]],
        max_batch: int = MAX_BATCH,
    ):
        self._begin_alone = begin_alone
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._open: _Batch | None = None

    def queued(self) -> int:
        """Writers waiting to join the batch being formed or run (for tests and metrics)."""
        with self._lock:
            return 0 if self._open is None else len(self._open.queued)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One atomic write: it commits with its batch, or nothing of it is kept."""
        writer = _Writer()
        with self._lock:
            batch = self._open
            if batch is not None and batch.size < self._max_batch:
                batch.queued.append(writer)
                batch.size += 1
                leading = False
            else:
                batch = self._open = _Batch()
                leading = True
        if leading:
            yield from self._lead(batch)
        else:
            yield from self._follow(batch, writer)

    def _lead(self, batch: _Batch) -> Iterator[Connection]:
        own_error: BaseException | None = None
        try:
            with self._begin_alone() as connection:
                batch.connection = connection
                try:
                    yield from _in_savepoint(connection)
                except BaseException as error:  # the leader's own work; the batch goes on
                    own_error = error
                self._run_followers(batch)
        except BaseException as error:
            self._fail(batch, error)
            if own_error is None:
                raise
        else:
            batch.done.set()
        if own_error is not None:
            raise own_error

    def _run_followers(self, batch: _Batch) -> None:
        while True:
            with self._lock:
                if not batch.queued:
                    # Closed: whoever comes now leads the next batch, which forms while
                    # this one commits.
                    if self._open is batch:
                        self._open = None
                    return
                writer = batch.queued.popleft()
            writer.start.set()
            writer.finished.wait()

    def _fail(self, batch: _Batch, error: BaseException) -> None:
        with self._lock:
            if self._open is batch:
                self._open = None
            waiting = list(batch.queued)
            batch.queued.clear()
        batch.error = error
        batch.done.set()
        for writer in waiting:
            writer.start.set()

    def _follow(self, batch: _Batch, writer: _Writer) -> Iterator[Connection]:
        writer.start.wait()
        if batch.error is not None:  # the batch failed before this writer's turn
            raise batch.error
        assert batch.connection is not None
        try:
            yield from _in_savepoint(batch.connection)
        finally:
            writer.finished.set()
            # A refused writer too returns only once the batch has committed: its refusal
            # may rest on what an earlier writer of it did ("file is at version 3"), and
            # the caller who reads again at once must find it.
            batch.done.wait()
        if batch.error is not None:
            raise batch.error


def _in_savepoint(connection: Connection) -> Iterator[Connection]:
    """Yield ``connection`` once, inside a savepoint that is released if the caller's block
    ends normally and rolled back if it raises (the error goes on)."""
    savepoint = connection.begin_nested()
    try:
        yield connection
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
