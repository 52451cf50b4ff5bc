"""macOS and BSD: kqueue vnode events on the open files and their directories.

FSEvents (what watchdog and watchfiles use on macOS) reports nothing while a writer keeps
its descriptor open and appends, so it cannot drive a tail; kqueue watches the open file
itself. Directories are opened (event-only on macOS) so a new file under the name wakes
us. Readable descriptors (stdin, `--pid`) are watched in the same kqueue.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from collections.abc import Iterable, Sequence

from streamcli.sources.tail.wakeup import BACKSTOP, FileWatch, Waker, drain

# Imported only where `select.kqueue` exists; the type checker skips this module elsewhere.
assert sys.platform != "linux" and sys.platform != "win32"

O_EVTONLY = getattr(os, "O_EVTONLY", 0x8000 if os.uname().sysname == "Darwin" else 0)

FILE_EVENTS = (
    select.KQ_NOTE_WRITE
    | select.KQ_NOTE_EXTEND
    | select.KQ_NOTE_ATTRIB
    | select.KQ_NOTE_DELETE
    | select.KQ_NOTE_RENAME
    | select.KQ_NOTE_REVOKE
    | select.KQ_NOTE_LINK
)
DIRECTORY_EVENTS = (
    select.KQ_NOTE_WRITE | select.KQ_NOTE_ATTRIB | select.KQ_NOTE_DELETE | select.KQ_NOTE_RENAME
)


class KqueueWaker(Waker):
    """Wakes the follower when a watched file or directory changes (macOS and BSD)."""

    def __init__(self) -> None:
        super().__init__(BACKSTOP)
        self._kqueue = select.kqueue()
        self._files: set[tuple[int, int, int]] = set()  # (fd, dev, ino) registered
        self._directories: dict[tuple[str, int, int], int] = {}  # (path, dev, ino) -> our fd
        self._readable: set[int] = set()
        self._register([_read_event(self._wake_r, select.KQ_EV_ADD)])

    def watch(self, files: Iterable[FileWatch], directories: Iterable[str]) -> bool:
        added = False
        wanted_files = {(file.fd, file.dev, file.ino) for file in files}
        for fd, _dev, _ino in wanted_files - self._files:
            self._register([_vnode_event(fd, FILE_EVENTS, select.KQ_EV_ADD)])
            added = True
        # A closed descriptor leaves the kqueue by itself; only forget it.
        self._files = wanted_files
        wanted_directories = set()
        for path in directories:
            with contextlib.suppress(OSError):
                st = os.stat(path)
                wanted_directories.add((path, st.st_dev, st.st_ino))
        for key in wanted_directories - self._directories.keys():
            try:
                fd = os.open(key[0], os.O_RDONLY | O_EVTONLY | os.O_CLOEXEC)
            except OSError:
                continue
            self._directories[key] = fd
            self._register([_vnode_event(fd, DIRECTORY_EVENTS, select.KQ_EV_ADD)])
            added = True
        for key in self._directories.keys() - wanted_directories:
            with contextlib.suppress(OSError):
                os.close(self._directories.pop(key))
        return added

    def wait(
        self, timeout: float, readable: Sequence[int] = (), hangup: Sequence[int] = ()
    ) -> set[int]:
        # `hangup` (the pipe to stdout) is not watched here: kqueue reports a pipe's
        # writability, not only its closing, and a busy loop is worse than a late exit.
        changes = [_read_event(fd, select.KQ_EV_ADD) for fd in set(readable) - self._readable]
        changes += [_read_event(fd, select.KQ_EV_DELETE) for fd in self._readable - set(readable)]
        self._readable = set(readable)
        if changes:
            self._register(changes)
        ready: set[int] = set()
        for event in self._kqueue.control(None, 64, max(min(timeout, self.interval), 0.0)):
            if event.filter == select.KQ_FILTER_READ:
                if event.ident == self._wake_r:
                    drain(self._wake_r)
                else:
                    ready.add(int(event.ident))
        return ready

    def close(self) -> None:
        for fd in self._directories.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._directories.clear()
        self._kqueue.close()
        super().close()

    def _register(self, changes: list[select.kevent]) -> None:
        for change in changes:  # one by one: a vanished descriptor must not hide the others
            with contextlib.suppress(OSError):
                self._kqueue.control([change], 0, 0)


def _vnode_event(fd: int, fflags: int, flags: int) -> select.kevent:
    return select.kevent(
        fd, filter=select.KQ_FILTER_VNODE, flags=flags | select.KQ_EV_CLEAR, fflags=fflags
    )


def _read_event(fd: int, flags: int) -> select.kevent:
    return select.kevent(fd, filter=select.KQ_FILTER_READ, flags=flags)
