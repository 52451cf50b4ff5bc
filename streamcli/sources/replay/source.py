"""`streamcli replay`: recognise a recording's format and play it with its timing."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import BinaryIO

from streamcli.errors import BadInput
from streamcli.events import Event
from streamcli.sources.replay import asciicast
from streamcli.sources.replay.flags import Format, ReplayOptions
from streamcli.sources.replay.lines import LineReader
from streamcli.sources.replay.plaintext import read_plaintext
from streamcli.sources.replay.recording import LineProblems, read_recording
from streamcli.sources.replay.schedule import Schedule, timed_batches
from streamcli.stream import Source


class ReplaySource(Source):
    """Events read lazily from a recording and released on its schedule."""

    name = "replay"
    recorded = True

    def __init__(
        self, events: Iterator[list[Event]], schedule: Schedule, stream: BinaryIO, format: str
    ) -> None:
        self.format = format
        self.output = "terminal" if format == "asciicast" else "text"
        self._events = events
        self._schedule = schedule
        self._stream = stream
        self._stopped = threading.Event()

    def batches(self) -> Iterator[list[Event]]:
        try:
            yield from timed_batches(self._events, self._schedule, self._stopped)
        finally:
            if self.inputs:  # the file it reads, opened for it (not stdin, nor a body)
                self._stream.close()

    def close(self) -> None:
        self._stopped.set()


def open_replay(path: str, stdin: BinaryIO, options: ReplayOptions) -> ReplaySource:
    """Open `path` (``-`` for stdin), recognise its format and prepare it for playing."""
    name = "<stdin>" if path == "-" else path
    if path == "-":
        stream = stdin
    else:
        try:
            stream = open(path, "rb")  # noqa: SIM115 - closed by the source when done
        except OSError as exc:
            raise BadInput(f"cannot open {path}: {exc.strerror or exc}") from None
    reader = LineReader(stream, name)
    try:
        first = reader.first_line()
    except OSError as exc:
        raise BadInput(f"cannot read {name}: {exc.strerror or exc}") from None
    format = options.format if options.format != "auto" else detect(first)
    problems = LineProblems(name, options.lenient)
    idle_limit = options.idle_limit
    if format == "asciicast":
        header = asciicast.parse_header(first)
        if header is None:
            why = asciicast.header_problem(first) or "not an asciicast v2 or v3 header"
            raise BadInput(f"{name}: line 1: {why}")
        if idle_limit is None:
            idle_limit = asciicast.idle_limit(header)
        events = asciicast.read_asciicast(header, reader.batches(), problems)
    elif format == "text":
        events = read_plaintext(reader.chunks(), options.chunk_size, options.delay_ms / 1000)
    else:
        events = read_recording(reader.batches(), problems)
    schedule = Schedule(options.speed, idle_limit)
    source = ReplaySource(events, schedule, stream, format)
    source.inputs = [] if path == "-" else [path]  # closed by the source when done
    return source


def detect(first_line: bytes) -> Format:
    """The format of a file, judged by its first line."""
    if asciicast.parse_header(first_line) is not None:
        return "asciicast"
    if asciicast.header_problem(first_line) is not None:
        return "asciicast"  # one it cannot play: said so when it is opened
    return "events" if first_line.lstrip().startswith(b"{") else "text"
