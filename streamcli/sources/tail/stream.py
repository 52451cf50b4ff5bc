"""stdin (``-``) and other streams: read as the bytes arrive, until the stream ends.

A stream has no size to seek in, so `-n N` keeps a backlog: the last N lines that arrive
before the input first goes quiet (`BACKLOG_QUIET` seconds without data) or ends are
shown, then every later line as it comes (a pipe from a running program). With
`--no-follow` the backlog lasts until the end, so the last N lines are exactly tail's.
"""

from __future__ import annotations

import contextlib
import os
import select
from collections import deque
from collections.abc import Iterator

from streamcli.events import Event
from streamcli.sources.tail.follower import PARTIAL_HOLD
from streamcli.sources.tail.line_events import LineEvents
from streamcli.sources.tail.openfile import READ_LIMIT, READ_SIZE
from streamcli.sources.tail.position import StartAt
from streamcli.sources.tail.splitter import Split, TailSplitter

BACKLOG_QUIET = 0.1


class StreamInput:
    """stdin (or another stream): lines as they arrive, after the `-n` backlog."""

    def __init__(
        self,
        fd: int,
        label: str,
        start_at: StartAt,
        line_events: LineEvents,
        now: float,
        *,
        follow: bool,
    ) -> None:
        self.fd = fd
        self.label = label
        self.ended = False
        self._line_events = line_events
        self._splitter = TailSplitter()
        self._follow = follow
        self._skip = start_at.lines_to_skip if start_at.from_start else 0
        self._backlog: deque[str] | None = None
        if not start_at.from_start:
            self._backlog = deque(maxlen=start_at.count)
        self._flagged = False
        self._last_data = now

    def read(self, now: float) -> Iterator[list[Event]]:
        """Read what is available (the descriptor was reported readable)."""
        total = 0
        while total < READ_LIMIT:
            try:
                data = os.read(self.fd, READ_SIZE)
            except BlockingIOError:
                return
            except OSError:  # e.g. EIO from a terminal that went away: the end
                data = b""
            if not data:
                yield from self._end()
                return
            total += len(data)
            self._last_data = now
            yield from self._deliver(self._splitter.feed(data))
            if not _readable_now(self.fd):
                return

    def check(self, now: float) -> Iterator[list[Event]]:
        """Time-based steps: release the backlog once the input is quiet, show a
        partial line held too long."""
        if self.ended or not self._follow:
            return
        if self._backlog is not None and now - self._last_data >= BACKLOG_QUIET:
            yield from self._release_backlog()
        if self._splitter.holding and now - self._last_data >= PARTIAL_HOLD:
            yield from self._deliver(self._splitter.flush(final=False))

    def deadline(self) -> float | None:
        if self.ended or not self._follow:
            return None
        if self._backlog is not None:
            return self._last_data + BACKLOG_QUIET
        if self._splitter.holding:
            return self._last_data + PARTIAL_HOLD
        return None

    def close(self) -> None:
        if self.fd > 2:
            with contextlib.suppress(OSError):
                os.close(self.fd)

    def _end(self) -> Iterator[list[Event]]:
        self.ended = True
        yield from self._deliver(self._splitter.flush())
        yield from self._release_backlog()

    def _deliver(self, split: Split) -> Iterator[list[Event]]:
        lines = split.lines
        if not lines:
            return
        if self._skip:
            skipped = min(self._skip, len(lines))
            self._skip -= skipped
            lines = lines[skipped:]
        if self._backlog is not None:  # `-n N` counts the lines that pass `--grep`
            self._backlog.extend(self._line_events.matching(lines))
            self._flagged |= split.flagged
            return
        if lines:
            yield self._line_events(Split(lines, split.flagged), self.label)

    def _release_backlog(self) -> Iterator[list[Event]]:
        backlog, self._backlog = self._backlog, None
        if backlog:
            yield self._line_events(Split(list(backlog), self._flagged), self.label)


def _readable_now(fd: int) -> bool:
    with contextlib.suppress(OSError, ValueError):
        return bool(select.select([fd], [], [], 0)[0])
    return False
