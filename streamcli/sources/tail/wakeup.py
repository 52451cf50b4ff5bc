"""Waking the follower up: when a file or directory may have changed, or an input is ready.

A waker never says *what* changed: the follower looks (`stat`) after every wake-up. The
backends differ only in how soon they wake up after a change:

- `InotifyWaker` (Linux, `inotify.py`) and `KqueueWaker` (macOS and BSD, `kqueue.py`) wake
  up when the kernel reports a change, and at least every `BACKSTOP` seconds in case an
  event was missed (queue overflow, network filesystems);
- `Waker` itself polls: it wakes up every `interval` seconds (`--poll`, or where
  neither exists).

`wakers.choose_waker` picks the best one this system has.

Every waker also watches file descriptors (stdin, a process descriptor for `--pid`, the
pipe to stdout) and can be woken from another thread (`wake`).
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from streamcli.sources.tail.flags import POLL_INTERVAL

BACKSTOP = 1.0


class FileWatch(NamedTuple):
    """An open file to watch: its descriptor and identity."""

    fd: int
    dev: int
    ino: int


class Waker:
    """Polling: sleeps `interval` seconds at most. Subclasses add kernel notifications."""

    def __init__(self, interval: float = POLL_INTERVAL) -> None:
        self.interval = interval
        self.problem: str | None = None  # a notice to show once (e.g. fell back to polling)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._closing = threading.Lock()  # `wake` never writes to a closed (reused) fd
        self._closed = False

    def watch(self, files: Iterable[FileWatch], directories: Iterable[str]) -> bool:
        """Watch exactly these; True when a watch was added (look once more before sleeping:
        a change made before the watch existed was not reported)."""
        return False

    def wait(
        self, timeout: float, readable: Sequence[int] = (), hangup: Sequence[int] = ()
    ) -> set[int]:
        """Sleep until something happens or `timeout` passes; return the descriptors of
        `readable` that can be read and of `hangup` that were closed at the other end."""
        poller = select.poll()
        poller.register(self._wake_r, select.POLLIN)
        native = self._native_fd()
        if native is not None:
            poller.register(native, select.POLLIN)
        for fd in readable:
            poller.register(fd, select.POLLIN)
        for fd in hangup:
            poller.register(fd, 0)  # errors and hang-ups are always reported
        timeout = min(timeout, self.interval)
        ready: set[int] = set()
        for fd, _ in poller.poll(max(timeout, 0.0) * 1000):
            if fd == self._wake_r:
                drain(fd)
            elif fd == native:
                self._drain_native()
            else:
                ready.add(fd)
        return ready

    def wake(self) -> None:
        """Make `wait` return now (from any thread)."""
        with self._closing, contextlib.suppress(OSError):
            if not self._closed:
                os.write(self._wake_w, b"x")

    def close(self) -> None:
        with self._closing:
            self._closed = True
            for fd in (self._wake_r, self._wake_w):
                with contextlib.suppress(OSError):
                    os.close(fd)

    def _native_fd(self) -> int | None:
        return None

    def _drain_native(self) -> None:
        pass


def drain(fd: int) -> None:
    """Read `fd` (non-blocking) until it is empty."""
    with contextlib.suppress(BlockingIOError, OSError):
        while os.read(fd, 4096):
            pass
