"""Standard streams that are closed, or that fail when written.

Neither case ends in a traceback. A closed stdin, stdout or stderr (``<&-``, ``>&-``) is
reopened on /dev/null at once (`check_std_fds`), so no file streamcli opens can take its
number; a closed stdout is an error (exit 1) before anything runs, a closed stdin only
where it is read (`ClosedStdin`: exit 2). A write that fails (``>/dev/full``: ENOSPC,
EIO…) is reported as one ``streamcli: error:`` line, exit 1 (`output_failed`). `cli.main`
imports this module only when it needs it, so a healthy start costs nothing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any, NoReturn

from streamcli import errors

CLOSED: set[int] = set()  # the standard descriptors that were closed when streamcli started


class StdinClosed(errors.BadInput):
    """Standard input was needed but is closed (exit 2)."""


class ClosedStdin:
    """Stands for a closed stdin: reading it (or asking for its descriptor) fails."""

    closed = True

    def _fail(self, *args: Any) -> NoReturn:
        raise StdinClosed("standard input is closed (started with <&-): there is nothing to read")

    read = read1 = readline = readinto = fileno = __iter__ = _fail

    def isatty(self) -> bool:
        return False


def reopen_closed() -> None:
    """Open /dev/null on every closed standard descriptor and remember which were closed."""
    for fd, mode, name in ((0, os.O_RDONLY, "stdin"), (1, os.O_WRONLY, "stdout"),
                           (2, os.O_WRONLY, "stderr")):  # fmt: skip
        try:
            os.fstat(fd)
        except OSError:
            CLOSED.add(fd)
            null = os.open(os.devnull, mode)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
            if getattr(sys, name) is None:
                opened = os.fdopen(fd, "r" if fd == 0 else "w", closefd=False)
                setattr(sys, name, opened)


def check_std_fds() -> None:
    """At start-up, with a standard descriptor closed: reopen it (`reopen_closed`), and
    end at once (exit 1) when it was stdout."""
    reopen_closed()
    if 1 in CLOSED:
        _fail("standard output is closed (started with >&-): nothing could be written")


def output_failed(exc: OSError) -> NoReturn:
    """A write failed (usually stdout: a full disk, an I/O error): one line, exit 1; the
    reader of stdout going away (EPIPE) ends quietly instead."""
    if exc.errno == errno.EPIPE:
        errors.silence_stdout()
        raise SystemExit(errors.FAILURE) from None
    _fail(_describe(exc))


def _describe(exc: OSError) -> str:
    reason = exc.strerror or str(exc)
    if exc.filename is not None:
        return f"{exc.filename}: {reason}"
    return f"cannot write to standard output: {reason}"


def _fail(message: str) -> NoReturn:
    errors.silence_stdout()  # the interpreter's last flush must not fail again
    with contextlib.suppress(OSError, ValueError):
        errors.report(sys.stderr, message)
    raise SystemExit(errors.FAILURE)
