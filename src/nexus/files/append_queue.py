"""Appenders to one file take turns within a process.

An append copies the file's content into a new blob and commits it only if nobody wrote
the file meanwhile (compare-and-swap), else it starts over. With N appenders racing on one
file, each round has one winner and N - 1 blobs written in vain: 32 appenders made about
16 times the blob writes of the appends themselves. Queueing them per path makes nearly
every attempt the winning one, without holding the database's write lock while the blob
is copied. The compare-and-swap still decides: other processes and plain writes can get
in between, and then the loser retries as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class AppendQueue:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        # path -> (its lock, how many appenders hold or wait for it); gone when unused.
        self._turns: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def turn(self, path: str) -> Iterator[None]:
        """Wait for the other appenders to ``path`` in this process, then hold it."""
        with self._guard:
            lock, users = self._turns.get(path, (threading.Lock(), 0))
            self._turns[path] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._turns[path]
                if users == 1:
                    del self._turns[path]
                else:
                    self._turns[path] = (lock, users - 1)
