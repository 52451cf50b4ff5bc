"""Opening a path beneath a directory so that nothing can make the open leave it.

Checking a path (``realpath``) and then opening it leaves a race: a directory swapped for
a symlink between the two sends the open elsewhere. Here the open itself is confined:
on Linux 5.6 and later with ``openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)`` from the
directory's descriptor; elsewhere (or when a sandbox forbids the call) by a walk, one
component at a time from a directory descriptor, each opened with ``O_NOFOLLOW`` (and
``O_DIRECTORY`` but the last), ``..`` going back to a descriptor already held. A symlink
met on the way, or one that appeared meanwhile, makes the open fail.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import sys
from functools import cache
from typing import Any

_SYS_OPENAT2 = 437  # the same on every Linux architecture (the generic syscall table)
_RESOLVE_NO_MAGICLINKS = 0x02
_RESOLVE_NO_SYMLINKS = 0x04
_RESOLVE_BENEATH = 0x08
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class Escape(OSError):
    """The path leads out of the directory (a symlink on the way, or ``..`` above it)."""


class _OpenHow(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]


@cache
def _syscall() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    return getattr(libc, "syscall", None)


_openat2_missing = False  # the kernel (or a seccomp filter) refused it once: walk instead


def open_beneath(root: int, path: str, flags: int) -> int:
    """A descriptor for `path` (relative, without symlinks) beneath the directory `root`.

    Raises `Escape` when the path leads out of `root` or goes through a symlink, and
    `OSError` as `os.open` would otherwise.
    """
    global _openat2_missing
    if os.path.isabs(path):
        raise Escape(errno.EXDEV, "an absolute path", path)
    flags |= _CLOEXEC
    call = None if _openat2_missing else _syscall()
    if call is not None:
        how = _OpenHow(flags, 0, _RESOLVE_BENEATH | _RESOLVE_NO_SYMLINKS | _RESOLVE_NO_MAGICLINKS)
        fd = call(_SYS_OPENAT2, root, os.fsencode(path), ctypes.byref(how), ctypes.sizeof(how))
        if fd >= 0:
            return int(fd)
        code = ctypes.get_errno()
        if code in (errno.EXDEV, errno.ELOOP):
            raise Escape(code, os.strerror(code), path)
        if code not in (errno.ENOSYS, errno.EPERM, errno.EINVAL, errno.E2BIG):
            raise OSError(code, os.strerror(code), path)
        _openat2_missing = True
    return _walk(root, path, flags)


def _walk(root: int, path: str, flags: int) -> int:
    parts = [part for part in path.split(os.sep) if part not in ("", ".")]
    held: list[int] = []  # descriptors of the directories walked into, innermost last
    try:
        for index, part in enumerate(parts):
            here = held[-1] if held else root
            last = index == len(parts) - 1
            if part == "..":
                if not held:
                    raise Escape(errno.EXDEV, "above the directory", path)
                os.close(held.pop())
                if last:
                    return os.open(".", flags | _NOFOLLOW, dir_fd=held[-1] if held else root)
                continue
            try:
                fd = os.open(part, (flags if last else os.O_RDONLY | _DIRECTORY | _CLOEXEC)
                             | _NOFOLLOW, dir_fd=here)  # fmt: skip
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK) and _is_link(part, here):
                    raise Escape(errno.ELOOP, "a symbolic link on the way", path) from None
                raise
            if last:
                return fd
            held.append(fd)
        return os.open(".", flags, dir_fd=held[-1] if held else root)
    finally:
        for fd in held:
            os.close(fd)


def _is_link(name: str, directory: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=directory, follow_symlinks=False).st_mode)
    except OSError:
        return False
