"""`streamcli tail`: the source that reads and follows the named files and stdin."""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from collections.abc import Iterator

from streamcli import events
from streamcli.errors import BadInput
from streamcli.events import Event, StreamClock
from streamcli.sources.tail.flags import TailOptions
from streamcli.sources.tail.follower import Follower
from streamcli.sources.tail.line_events import LineEvents
from streamcli.sources.tail.pidwatch import ProcessWatch
from streamcli.sources.tail.stream import StreamInput
from streamcli.sources.tail.wakers import choose_waker
from streamcli.sources.tail.wakeup import FileWatch, Waker
from streamcli.stdio import StdinClosed
from streamcli.stream import Source

BATCH_EVENTS = 2048


class TailSource(Source):
    """Lines from files (followed by name, through rotation) and stdin, as events."""

    name = "tail"

    def __init__(
        self, options: TailOptions, stdin_fd: int | None = None, stdout_fd: int | None = None
    ) -> None:
        self.options = options
        self.inputs = [path for path in options.files if path != "-"]
        self.line_labels = options.line_labels
        self._clock = StreamClock()
        self._line_events = LineEvents(
            self._clock, options.grep, invert=options.invert, ignore_case=options.ignore_case
        )
        self._stdin_fd = stdin_fd
        self._stdout_fd = stdout_fd if _is_pipe(stdout_fd) else None
        self._stopped = threading.Event()
        if options.follow:
            self._waker = choose_waker(options.poll, options.poll_interval)
        else:
            self._waker = Waker()
        self._followers: list[Follower] = []
        self._streams: list[StreamInput] = []
        self._process: ProcessWatch | None = None

    def close(self) -> None:
        self._stopped.set()
        self._waker.wake()

    def batches(self) -> Iterator[list[Event]]:
        yield [events.start(self._clock(), "tail", files=list(self.options.files))]
        try:
            yield from self._run()
        finally:
            self._release()

    # -- the stream ----------------------------------------------------------

    def _run(self) -> Iterator[list[Event]]:
        follow = self.options.follow
        yield from _gathered(self._open_all())
        if follow and self.options.pid is not None:
            self._process = ProcessWatch(self.options.pid)
        if self._waker.problem:
            yield [events.notice(self._clock(), self._waker.problem)]
        while not self._stopped.is_set():
            now = time.monotonic()
            yield from _gathered(self._look(now))
            if self._finished():
                break
            if self._process is not None and not self._process.alive():
                yield from _gathered(self._look(time.monotonic()))  # what it wrote last
                break
            if follow and (self._watch() or self._more_pending()):
                continue  # look again before sleeping
            ready = self._waker.wait(
                self._timeout(now),
                readable=self._readable(),
                hangup=[self._stdout_fd] if self._stdout_fd is not None else [],
            )
            if self._stdout_fd in ready:  # the reader of our output went away
                yield [events.end(self._clock(), "interrupted")]
                return
            yield from _gathered(self._read_streams(ready, time.monotonic()))
        if self._stopped.is_set():  # interrupted: hand over held lines; the pipeline ends
            for follower in self._followers:
                yield from follower.finish()
            return
        for follower in self._followers:
            yield from follower.finish()
        failures = [f.failure for f in self._followers if f.failure and not follow]
        if failures:
            raise BadInput("; ".join(failures))
        yield [events.end(self._clock(), "eof")]

    def _open_all(self) -> Iterator[list[Event]]:
        """Open every input and read what is there (with `--no-follow`: all of it)."""
        options = self.options
        now = time.monotonic()
        for path in options.files:
            if path != "-" and not options.follow and _is_stream(path):
                # A pipe or FIFO (`<(command)`, mkfifo) has no end to seek to: read it as
                # it comes, to its end, waiting for a writer that is slow or not there yet.
                try:
                    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
                except OSError as exc:
                    raise BadInput(f"cannot open {path} for reading: {exc.strerror}") from None
                self._streams.append(
                    StreamInput(fd, path, options.start_at, self._line_events, now, follow=False)
                )
            elif path != "-":
                follower = Follower(path, self._line_events, self._clock)
                self._followers.append(follower)
                yield from follower.start(options.start_at, now, follow=options.follow)
                if not options.follow:
                    yield from follower.finish()
            elif self._stdin_fd is None:
                raise StdinClosed(
                    "standard input is closed (started with <&-): there is nothing to read"
                )
            elif all(s.label != "-" for s in self._streams):
                stream = StreamInput(
                    self._stdin_fd,
                    "-",
                    options.start_at,
                    self._line_events,
                    now,
                    follow=options.follow,
                )
                self._streams.append(stream)

    def _look(self, now: float) -> Iterator[list[Event]]:
        """Look at every followed file, and at the time-based steps of the streams."""
        if self.options.follow:
            for follower in self._followers:
                yield from follower.check(now)
        for stream in self._streams:
            yield from stream.check(now)

    def _read_streams(self, ready: set[int], now: float) -> Iterator[list[Event]]:
        for stream in self._streams:
            if stream.fd in ready:
                yield from stream.read(now)

    def _finished(self) -> bool:
        """Nothing more can come: every stream ended, and no file is followed."""
        streams_done = all(stream.ended for stream in self._streams)
        return streams_done and (not self.options.follow or not self._followers)

    def _watch(self) -> bool:
        files = [
            FileWatch(opened.fd, opened.dev, opened.ino)
            for follower in self._followers
            for opened in follower.watched_files()
            if opened.fd is not None
        ]
        directories = set().union(*(f.watched_directories() for f in self._followers))
        return self._waker.watch(files, sorted(directories))

    def _more_pending(self) -> bool:
        return any(follower.more_pending() for follower in self._followers)

    def _timeout(self, now: float) -> float:
        deadlines = [f.deadline() for f in self._followers] + [s.deadline() for s in self._streams]
        timeout = min((d - now for d in deadlines if d is not None), default=self._waker.interval)
        if self._process is not None and self._process.interval is not None:
            timeout = min(timeout, self._process.interval)
        return max(timeout, 0.0)

    def _readable(self) -> list[int]:
        fds = [stream.fd for stream in self._streams if not stream.ended]
        if self._process is not None and self._process.fd is not None:
            fds.append(self._process.fd)
        return fds

    def _release(self) -> None:
        for follower in self._followers:
            with contextlib.suppress(OSError):
                for _ in follower.finish():
                    pass
        for stream in self._streams:
            stream.close()
        if self._process is not None:
            self._process.close()
        self._waker.close()


def _gathered(batches: Iterator[list[Event]]) -> Iterator[list[Event]]:
    """The same events in batches of about `BATCH_EVENTS`: small ones (a notice and the
    lines after it) are joined, so they reach the same frame; large ones (a read of many
    short lines) are split, so the pipeline's queue of batches stays small."""
    pending: list[Event] = []
    for batch in batches:
        if not pending and len(batch) <= BATCH_EVENTS:
            pending = batch
        else:
            pending.extend(batch)
        while len(pending) >= BATCH_EVENTS:
            yield pending[:BATCH_EVENTS]
            pending = pending[BATCH_EVENTS:]
    if pending:
        yield pending


def _is_stream(path: str) -> bool:
    """Whether `path` names a pipe, FIFO or socket (not a file with an end to find)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _is_pipe(fd: int | None) -> bool:
    """Whether `fd` is a pipe or socket (whose reader may go away while we are idle)."""
    if fd is None:
        return False
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
