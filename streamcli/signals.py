"""Signal handling, the command line's policy (a pipeline is handed it, a session and MCP
start-up use it): which signals stop streamcli and with what status, and handlers set for
the length of a block."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator

from streamcli import errors


@contextlib.contextmanager
def signal_handlers(handler: Callable[[int, object], None], *signums: int) -> Iterator[None]:
    """Handle `signums` with `handler` inside the block (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in signums}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


class Stopped(BaseException):
    """A signal asked streamcli to stop (SIGTERM, SIGHUP), or a front end interrupted a
    stream (`Pipeline.interrupt`): unwinds to where the stream is ended."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


STOP_STATUSES: dict[int, int] = {  # the signals that stop streamcli, and its status then
    signal.SIGTERM: errors.TERMINATED,
    signal.SIGHUP: errors.HUNG_UP,
}


def stop_signals() -> contextlib.AbstractContextManager[None]:
    """While a stream runs: SIGTERM and SIGHUP raise `Stopped` in the main thread, so the
    stream ends as after Ctrl-C (what arrived is kept) with their status."""

    def stop(signum: int, frame: object) -> None:
        raise Stopped(STOP_STATUSES[signum])

    return signal_handlers(stop, *STOP_STATUSES)


def stop_signals_exit() -> contextlib.AbstractContextManager[None]:
    """Before the pipeline handles signals (MCP servers starting, a session opening),
    SIGTERM and SIGHUP exit with their status through the normal unwinding, so what was
    started is shut down first (the default action kills the process where it stands)."""

    def leave(signum: int, frame: object) -> None:
        raise SystemExit(STOP_STATUSES[signum])

    return signal_handlers(leave, *STOP_STATUSES)


def first_ctrl_c_ignored() -> contextlib.AbstractContextManager[None]:
    """After the stream's end (the sinks closing, a session's turn being kept): a Ctrl-C
    has nothing left to stop and must not cut that work short; a second one exits at
    once (a reader that is stuck)."""
    pressed: list[int] = []

    def once(signum: int, frame: object) -> None:
        if pressed:
            os._exit(errors.INTERRUPTED)
        pressed.append(signum)

    return signal_handlers(once, signal.SIGINT)


class StreamSignals:
    """The signals of one running stream, counted from its start.

    The first stop signal ends the stream (Ctrl-C raises KeyboardInterrupt, SIGTERM and
    SIGHUP `Stopped`). Once it is ending (`ending`), one more signal only hurries the
    ending (`hurried`: stop waiting for the source), so its last events are still written
    whole: `timeout -s INT` signals the process and then its group, two signals at once.
    The next one exits at once (a reader that is stuck).
    """

    def __init__(self) -> None:
        self.hurried = threading.Event()
        self._count = 0
        self._status = errors.INTERRUPTED

    def handlers(self) -> contextlib.AbstractContextManager[None]:
        """Handle the stop signals so (main thread only) inside the block."""
        return signal_handlers(self._handle, signal.SIGINT, *STOP_STATUSES)

    def ending(self, status: int) -> None:
        """The stream is ending (a signal, an interruption, its end, a failure): signals
        from now on hurry it, then exit with `status`."""
        if self._count == 0:
            self._count, self._status = 1, status

    def _handle(self, signum: int, frame: object) -> None:
        self._count += 1
        if self._count == 1:
            self._status = STOP_STATUSES.get(signum, errors.INTERRUPTED)
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise Stopped(self._status)
        if self._count == 2:
            self.hurried.set()
            return
        os._exit(self._status)


def stop_now() -> None:
    """Stop this process as Ctrl-Z asked (SIGTSTP's default action), returning when it is
    continued (SIGCONT); the caller put the terminal back as it found it first."""
    if threading.current_thread() is not threading.main_thread():
        return
    previous = signal.signal(signal.SIGTSTP, signal.SIG_DFL)
    try:
        os.kill(os.getpid(), signal.SIGTSTP)
    finally:
        signal.signal(signal.SIGTSTP, previous)
