"""The contracts of a stream: where events come from (`Source`), where they end up
(`Sink`), and the display a question may borrow (`Screen`).

This module is the bottom of the house: the pump, every source, every sink and every
front end (the command line, a session, `serve`) meet here, and it imports nothing of
theirs. A tap is a `Sink` that goes with a stream without being its output (a recording,
the history, `--stats`): the pipeline writes it after the sink.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import BinaryIO, Literal

from streamcli.events import Event

FRAME_INTERVAL = 1 / 30
ASAP = 0.0  # no frame clock: written as soon as the pump is free (pipes, files, sockets)


class Source:
    """Where events come from.

    `batches` runs in a worker thread and yields lists of events; raising a
    `StreamcliError` ends the stream with an `error` event. `close` is called from
    another thread to ask the source to stop early and must not block; batches the
    source still yields within the pipeline's grace period (a held partial line, say)
    are written too.
    """

    name = "source"
    # What the stream is, for `choose_sink`: events to show as text, or recorded terminal
    # output (asciicast) to write as recorded.
    output: Literal["text", "terminal"] = "text"
    # How `line` events say which file they came from: not at all, a `==> file <==`
    # header when the file changes (as tail does), or a `file: ` prefix on every line.
    line_labels: Literal["none", "header", "prefix"] = "none"
    taps: Sequence[Sink] = ()  # sinks that go with the stream (chat: the history recorder)
    recorded = False  # its events' `t` are a recording's, not this run's (replay)
    inputs: Sequence[str] = ()  # the files it reads (a recording must not be one of them)

    def batches(self) -> Iterator[list[Event]]:
        raise NotImplementedError

    def close(self) -> None:
        """Stop producing soon (Ctrl-C, the reader went away)."""


class Output:
    """A binary stream written once per frame: write, flush, and count.

    The counts (`writes`, `bytes`) are what `streamcli bench` reports and what the
    benchmarks check ("at most one write per frame").
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.writes = 0
        self.bytes = 0

    def write(self, data: bytes | bytearray) -> None:
        if not data:
            return
        self.writes += 1
        self.bytes += len(data)
        self.stream.write(data)
        self.stream.flush()


class Sink:
    """Where a stream ends up. The pipeline calls `write` once per frame.

    `frame_interval` is the shortest time between frames the sink wants (`ASAP` for
    bytes into a pipe or a file: each frame as soon as the previous one is written);
    `shows_errors` says whether `error` events reach the user's eyes through this sink
    (if not, the pipeline prints them on stderr itself); `label` names it in an error
    message ("cannot write the recording: …").
    """

    frame_interval: float = FRAME_INTERVAL
    shows_errors: bool = True
    label: str = "the output"

    def write(self, events: list[Event]) -> None:
        """Write one frame: every event that arrived since the last one, in order."""
        raise NotImplementedError

    def next_tick(self) -> float | None:
        """Monotonic time of the next animation tick (a spinner), or None."""
        return None

    def tick(self) -> None:
        """Advance animations; called at `next_tick` when no events arrived."""

    def suspend(self) -> None:
        """The terminal is needed for a question: clear any live display until `resume`."""

    def resume(self) -> None:
        """The question was answered: draw the live display again."""

    def close(self) -> None:
        """Flush what is held and leave the terminal as it was found."""


Lender = Callable[[threading.Event], contextlib.AbstractContextManager[bool]]


class Screen:
    """The display a question may borrow: the terminal, for a tool call's approval.

    A front end that shows a stream on the terminal gives the same `Screen` to whoever
    asks questions (the terminal approver) and to the pipeline that draws; the pipeline
    lends it: everything before the question is drawn, the live display is cleared, and
    nothing is drawn until it is given back. A borrower waits for a pipeline to be
    attached (a session's request may start before its pipeline does).
    """

    def __init__(self) -> None:
        self._lender: Lender | None = None
        self._attached = threading.Event()

    def attach(self, lender: Lender | None) -> None:
        """The pipeline that lends the display from now on (None: none any more)."""
        self._lender = lender
        if lender is None:
            self._attached.clear()
        else:
            self._attached.set()

    @contextlib.contextmanager
    def borrowed(self, stop: threading.Event, poll: float = 0.05) -> Iterator[bool]:
        """The display, for the length of the block: True once it is lent, False when
        `stop` was set first (the question must not be asked then)."""
        while not self._attached.wait(poll):
            if stop.is_set():
                yield False
                return
        lender = self._lender
        if lender is None:  # detached meanwhile: the stream is over
            yield False
            return
        with lender(stop) as granted:
            yield granted
