"""`--pid`: notice when a process ends.

On Linux a process descriptor (``pidfd_open``) becomes readable the moment the process
exits, so the waker sees it at once; elsewhere the process is looked up on every wake-up
(at least every `CHECK_INTERVAL` seconds).
"""

from __future__ import annotations

import contextlib
import os
import select

CHECK_INTERVAL = 0.25


class ProcessWatch:
    """Tells when the process of `tail --pid` has ended."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.fd: int | None = None
        with contextlib.suppress(AttributeError, OSError):
            self.fd = os.pidfd_open(pid)

    @property
    def interval(self) -> float | None:
        """How often to look when no descriptor tells us."""
        return None if self.fd is not None else CHECK_INTERVAL

    def alive(self) -> bool:
        if self.fd is not None:
            return not select.select([self.fd], [], [], 0)[0]
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # another user's process: it exists
        return True

    def close(self) -> None:
        if self.fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = None
