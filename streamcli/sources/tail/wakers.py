"""The best waker this system has: inotify on Linux, kqueue on macOS and BSD, else polling."""

from __future__ import annotations

import select
import sys

from streamcli.sources.tail.flags import POLL_INTERVAL
from streamcli.sources.tail.wakeup import Waker


def choose_waker(poll: bool, interval: float = POLL_INTERVAL) -> Waker:
    """The best waker this system has (or polling, when asked for)."""
    if not poll and sys.platform.startswith("linux"):
        from streamcli.sources.tail.inotify import InotifyWaker

        try:
            return InotifyWaker(fallback_interval=interval)
        except OSError as exc:
            waker = Waker(interval)
            waker.problem = f"inotify cannot be used ({exc.strerror or exc}); polling instead"
            return waker
    if (
        sys.platform != "linux"  # spelled out, so the type checker skips the branch on Linux
        and sys.platform != "win32"
        and not poll
        and hasattr(select, "kqueue")
    ):
        from streamcli.sources.tail.kqueue import KqueueWaker

        return KqueueWaker()
    return Waker(interval)
