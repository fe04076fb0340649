"""The workspace lock: one writer at a time.

The daemon's cycle and every command that changes something hold it, so `drivebot approve`
given while `drivebot run` is polling waits for the cycle to end instead of carrying out the
same outbox rows at the same time. Read-only commands (status, verify, serve, publish) never
take it. The lock is an flock on `.drivebot.lock`: the kernel drops it when the process dies.
"""

from __future__ import annotations

import fcntl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


class WorkspaceLock:
    def __init__(self, workspace: Path, on_wait: Callable[[], None] = lambda: None):
        self.path = workspace / ".drivebot.lock"
        self.on_wait = on_wait  # told once when another process holds the lock
        self._depth = 0
        self._file: IO[str] | None = None

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Hold the lock for the block; re-entrant within one process."""
        if self._depth == 0:
            self._file = self.path.open("a")
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.on_wait()
                fcntl.flock(self._file, fcntl.LOCK_EX)
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
                self._file.close()
                self._file = None
