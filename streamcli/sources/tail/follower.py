"""Following one file by name, as `tail -F` does, without losing lines on rotation.

`stat` decides what happened; the caller only says when to look (`check`). The rules:

- The name's (device, inode) is the current file's: read what was appended. A size below
  the read offset, or rewritten first bytes, means truncation: "file truncated", read
  again from the top.
- The name points to another file: the old one is drained, then kept open while its
  writer may still use it (`ROTATED_GRACE` seconds without growth); its late lines still
  come out. The new file is read from its first byte: "has been replaced".
- The name is gone: the open file is still read (its writer may still write to it); after
  `VANISHED_GRACE` without a new file, "has become inaccessible". A file that later
  appears is read from its first byte: "has appeared".
- The name cannot be opened (permissions): reported, and tried again on every check. When
  the same file becomes readable again, reading resumes where it stopped.
- An unfinished last line is held until its newline; if none comes within
  `PARTIAL_HOLD` seconds it is shown, marked partial.
"""

from __future__ import annotations

import errno
import os
import time
from collections import deque
from collections.abc import Callable, Iterator

from streamcli import events
from streamcli.events import Event
from streamcli.sources.tail.line_events import LineEvents
from streamcli.sources.tail.openfile import READ_LIMIT, OpenFile
from streamcli.sources.tail.position import StartAt, last_lines_offset, skip_lines_offset
from streamcli.sources.tail.splitter import Split

VANISHED_GRACE = 0.5
ROTATED_GRACE = 10.0
MAX_ROTATED = 8  # old files kept at once (a log rotated in a tight loop)
PARTIAL_HOLD = 0.5
UNLIMITED = 1 << 62


class Follower:
    """One file name on the command line, followed by name."""

    def __init__(self, path: str, line_events: LineEvents, clock: Callable[[], float]) -> None:
        self.path = path
        self.label = path
        self._line_events = line_events
        self._clock = clock
        self.current: OpenFile | None = None
        self.rotated: list[OpenFile] = []  # old files still drained after a rotation
        self._suspended: OpenFile | None = None  # the file we lost permission to read
        self._vanished_at: float | None = None  # the name went away; `current` stays open
        self._problem: str | None = None  # what was last reported about the name
        self._denied = False  # ... and it was a lack of permission
        self.failure: str | None = None  # why the file could not be read at all

    # -- the first read ------------------------------------------------------

    def start(self, start_at: StartAt, now: float, *, follow: bool) -> Iterator[list[Event]]:
        """Open the file and read from where `start_at` says (to its current end)."""
        try:
            opened = OpenFile.open(self.path, now)
        except OSError as exc:
            self.failure = f"cannot open {self.path} for reading: {_reason(exc)}"
            self._set_problem(exc)
            if follow:
                yield [self._notice(f"cannot open for reading: {_reason(exc)}")]
            return
        self.current = opened
        fd = opened.fd
        assert fd is not None
        size = os.fstat(fd).st_size
        if size == 0 and opened.regular:
            # Nothing, or a /proc-like file whose size says nothing: read it all.
            yield from self._read_all_keep(opened, start_at, now)
            return
        if start_at.from_start:
            opened.offset = skip_lines_offset(fd, start_at.lines_to_skip)
        elif self._line_events.filtering:  # the last N matching lines: filter all, then count
            yield from self._read_all_keep(opened, start_at, now)
            return
        else:
            opened.offset = last_lines_offset(fd, size, start_at.count)
        yield from self._read(opened, now, limit=READ_LIMIT if follow else UNLIMITED)

    def _read_all_keep(
        self, opened: OpenFile, start_at: StartAt, now: float
    ) -> Iterator[list[Event]]:
        """Read the whole file, keeping only the lines `start_at` asks for: `-n N` counts
        the lines that pass `--grep`, as `grep | tail -n` does; `-n +N` counts the file's."""
        skip = start_at.lines_to_skip if start_at.from_start else 0
        kept: deque[str] | list[str] = [] if start_at.from_start else deque(maxlen=start_at.count)
        flagged = False
        for split in opened.read(now, UNLIMITED):
            lines = split.lines
            if skip:
                skipped = min(skip, len(lines))
                skip -= skipped
                lines = lines[skipped:]
            kept.extend(self._line_events.matching(lines))
            flagged |= split.flagged
        assert opened.fd is not None
        if opened.offset > 0 and os.fstat(opened.fd).st_size == 0:
            opened.size_lies = True
        if kept:
            yield self._line_events(Split(list(kept), flagged), self.label)

    # -- following -----------------------------------------------------------

    def check(self, now: float) -> Iterator[list[Event]]:
        """Look at the file and its name; yield what happened, one batch per read."""
        for old in list(self.rotated):
            yield from self._read(old, now)
            if now - old.last_data >= ROTATED_GRACE:
                yield from self._flush(old)
                old.close()
                self.rotated.remove(old)
        current = self.current
        if current is not None:
            yield from self._restart_if_truncated(current)
            yield from self._read(current, now)
            if current.rewritten:  # truncated and written again during that read
                yield from self._restart_if_truncated(current)
                yield from self._read(current, now)
        yield from self._check_name(now)
        for opened in self._open_files():
            if opened.splitter.holding and now - opened.last_data >= PARTIAL_HOLD:
                held = opened.splitter.flush(final=False)
                yield self._line_events(held, self.label)

    def finish(self) -> Iterator[list[Event]]:
        """The end: read what was written last, show unfinished lines, close everything."""
        for opened in self._open_files():
            yield from self._read(opened, time.monotonic())
            yield from self._flush(opened)
            opened.close()
        self.rotated.clear()
        self.current = None
        if self._suspended is not None:
            self._suspended.close()
            self._suspended = None

    def more_pending(self) -> bool:
        """A read stopped at its limit: check again without waiting."""
        return any(opened.hit_limit for opened in self._open_files())

    def deadline(self) -> float | None:
        """When a check is due even if nothing wakes us up."""
        times = [old.last_data + ROTATED_GRACE for old in self.rotated]
        if self._vanished_at is not None and self._problem is None:
            times.append(self._vanished_at + VANISHED_GRACE)
        for opened in self._open_files():
            if opened.splitter.holding:
                times.append(opened.last_data + PARTIAL_HOLD)
        return min(times, default=None)

    def watched_files(self) -> list[OpenFile]:
        """The open files whose changes should wake us up."""
        return [opened for opened in self._open_files() if opened.fd is not None]

    def watched_directories(self) -> set[str]:
        """The directories whose entries decide what the name leads to: the name's, or
        its nearest existing ancestor while it does not exist, and the target's directory
        when the name is a symbolic link."""
        directories = {_existing(os.path.dirname(os.path.abspath(self.path)))}
        target = os.path.realpath(self.path)
        if target != os.path.abspath(self.path):
            directories.add(_existing(os.path.dirname(target)))
        return directories

    # -- the name ------------------------------------------------------------

    def _check_name(self, now: float) -> Iterator[list[Event]]:
        current = self.current
        try:
            st = os.stat(self.path)
        except OSError as exc:
            if current is None:
                yield from self._report(exc)
            elif self._vanished_at is None:
                self._vanished_at = now
            elif now - self._vanished_at >= VANISHED_GRACE:
                yield from self._report(exc)
            return
        if current is not None and current.same_file(st):
            self._vanished_at = None
            if (st.st_mode, st.st_uid, st.st_gid) != current.access:
                yield from self._recheck_access(current, st)
            elif self._problem is not None:  # moved away and back again
                self._clear_problem()
                yield [self._notice("has become accessible again")]
            return
        try:
            opened = OpenFile.open(self.path, now)
        except OSError as exc:
            if current is not None:  # replaced by a file we cannot read
                yield from self._read(current, now)
                yield from self._retire(current)
            yield from self._report(exc)
            return
        yield from self._switch(opened, now)

    def _switch(self, opened: OpenFile, now: float) -> Iterator[list[Event]]:
        """The name now leads to `opened`: follow it."""
        current = self.current
        suspended = self._suspended
        self._suspended = None
        self._vanished_at = None
        if suspended is not None and suspended.identity == opened.identity:
            suspended.reopen(opened)
            self.current = suspended
            self._clear_problem()
            yield [self._notice("has become accessible again")]
            yield from self._read(suspended, now)
            return
        if suspended is not None:
            yield from self._flush(suspended)
            suspended.close()
        if current is not None:
            yield from self._read(current, now)  # drain what the old file still holds
            yield from self._retire(current)
        message = "has been replaced; following the new file"
        if self._denied:
            message = "has become accessible; following it"
        elif self._problem is not None or current is None:
            message = "has appeared; following it"
        self._clear_problem()
        self.current = opened
        yield [self._notice(message)]
        yield from self._read(opened, now)

    def _recheck_access(self, current: OpenFile, st: os.stat_result) -> Iterator[list[Event]]:
        """The file's mode or owner changed: can we still open it?"""
        current.access = (st.st_mode, st.st_uid, st.st_gid)
        try:
            os.close(os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC))
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EPERM):
                return
            # Stop reading it, as the owner asked; resume at the same offset if allowed again.
            current.close()
            self._suspended = current
            self.current = None
            yield from self._report(exc)
        else:
            if self._problem is not None:
                self._clear_problem()
                yield [self._notice("has become accessible again")]

    def _retire(self, old: OpenFile) -> Iterator[list[Event]]:
        """Keep reading `old` for a while: its writer may not have reopened the log yet."""
        self.rotated.append(old)
        self.current = None
        if len(self.rotated) > MAX_ROTATED:
            oldest = self.rotated.pop(0)
            yield from self._flush(oldest)
            oldest.close()

    def _report(self, exc: OSError) -> Iterator[list[Event]]:
        """Say once that the name cannot be followed right now, and why."""
        if _reason(exc) != self._problem:
            self._set_problem(exc)
            yield [self._notice(f"has become inaccessible: {self._problem}")]

    def _clear_problem(self) -> None:
        self._problem = None
        self._denied = False

    def _set_problem(self, exc: OSError) -> None:
        self._problem = _reason(exc)
        self._denied = exc.errno in (errno.EACCES, errno.EPERM)

    # -- helpers -------------------------------------------------------------

    def _open_files(self) -> list[OpenFile]:
        files = list(self.rotated)
        if self.current is not None:
            files.append(self.current)
        return files

    def _read(self, opened: OpenFile, now: float, limit: int = READ_LIMIT) -> Iterator[list[Event]]:
        for split in opened.read(now, limit):
            yield self._line_events(split, self.label)

    def _restart_if_truncated(self, opened: OpenFile) -> Iterator[list[Event]]:
        if opened.truncated():
            held = opened.restart()
            if held.lines:
                yield self._line_events(held, self.label)
            yield [self._notice("file truncated")]

    def _flush(self, opened: OpenFile) -> Iterator[list[Event]]:
        held = opened.splitter.flush()
        if held.lines:
            yield self._line_events(held, self.label)

    def _notice(self, message: str) -> Event:
        return events.notice(self._clock(), message, file=self.label)


def _existing(directory: str) -> str:
    """`directory`, or its nearest ancestor that exists."""
    while not os.path.isdir(directory) and directory != os.path.dirname(directory):
        directory = os.path.dirname(directory)
    return directory


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)
