"""Linux: inotify wakes the follower up about a millisecond after a change.

Three libc calls through ctypes (no dependency): the events themselves are not even
parsed, because the follower looks at every file after any wake-up. Open files are
watched through ``/proc/self/fd/N``, which names exactly the inode we hold (also after a
rename or unlink); directories are watched by path, so a new file under the name wakes us.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
from collections.abc import Callable, Iterable

from streamcli.sources.tail.wakeup import BACKSTOP, FileWatch, Waker, drain

IN_MODIFY = 0x002
IN_ATTRIB = 0x004
IN_MOVED_FROM = 0x040
IN_MOVED_TO = 0x080
IN_CREATE = 0x100
IN_DELETE = 0x200
IN_DELETE_SELF = 0x400
IN_MOVE_SELF = 0x800

FILE_EVENTS = IN_MODIFY | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF
DIRECTORY_EVENTS = (
    IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF
)

_libc = ctypes.CDLL(None, use_errno=True)


def _call(function: Callable[..., int], *args: object) -> int:
    result = function(*args)
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


class InotifyWaker(Waker):
    """Wakes the follower when a watched file or directory changes (Linux)."""

    def __init__(self, fallback_interval: float) -> None:
        self._fd = _call(_libc.inotify_init1, os.O_NONBLOCK | os.O_CLOEXEC)
        super().__init__(BACKSTOP)
        self._fallback_interval = fallback_interval
        self._watches: dict[tuple[object, ...], int] = {}  # what we watch -> watch descriptor

    def watch(self, files: Iterable[FileWatch], directories: Iterable[str]) -> bool:
        wanted: dict[tuple[object, ...], tuple[bytes, int]] = {}
        for file in files:
            wanted[("file", file.dev, file.ino)] = (
                f"/proc/self/fd/{file.fd}".encode(),
                FILE_EVENTS,
            )
        for directory in directories:
            try:
                st = os.stat(directory)
            except OSError:
                continue
            wanted[("dir", directory, st.st_dev, st.st_ino)] = (
                os.fsencode(directory),
                DIRECTORY_EVENTS,
            )
        added = False
        for key, (path, mask) in wanted.items():
            if key in self._watches:
                continue
            try:
                self._watches[key] = _call(_libc.inotify_add_watch, self._fd, path, mask)
                added = True
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.ENOMEM):
                    self._give_up("inotify resources exhausted; polling instead")
                # Otherwise the file or directory is gone already: the next look sees it.
        for key in [key for key in self._watches if key not in wanted]:
            descriptor = self._watches.pop(key)
            if descriptor not in self._watches.values():
                with contextlib.suppress(OSError):  # the kernel may have removed it already
                    _call(_libc.inotify_rm_watch, self._fd, descriptor)
        return added

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._fd)
        super().close()

    def _give_up(self, problem: str) -> None:
        if self.interval > self._fallback_interval:
            self.interval = self._fallback_interval
            self.problem = problem

    def _native_fd(self) -> int:
        return self._fd

    def _drain_native(self) -> None:
        drain(self._fd)
