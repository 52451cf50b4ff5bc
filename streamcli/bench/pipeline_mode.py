"""Pipeline mode: the synthetic source through each sink, for real, measured.

The terminal sink writes into a real pseudo-terminal and the text and JSON-lines sinks
into a pipe; a reader thread drains the other end, as a terminal emulator or the next
command of a pipeline would. The sink is the one `choose_sink` picks for that
environment, so what is measured is what users get.

Per-chunk latency runs from a chunk's arrival (see `synthetic`) to the end of the frame
that wrote it. `TimedSink` notes one completion time per frame; the per-chunk figures are
computed after the run, so measuring costs O(1) per frame. CPU seconds are those of the
pump thread (frames, the sink's rendering and writing), with the synthetic source's own
thread counted apart; the reader, the progress bar and the bench itself are left out.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import resource
import struct
import sys
import threading
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from streamcli.bench.synthetic import SyntheticConfig, SyntheticSource
from streamcli.env import Environment
from streamcli.events import Event
from streamcli.pipeline import Pipeline
from streamcli.sinks import OutputOptions, choose_sink
from streamcli.stream import Sink

TERMINAL_SIZE = (100, 30)
_CHUNK_TYPES = frozenset({"text", "line"})
_READ_SIZE = 65536


@dataclass
class SinkRun:
    """What one sink run measured. Times are seconds; `latencies` is per chunk."""

    sink: str
    sink_class: str
    target: str  # "pty" or "pipe"
    config: SyntheticConfig
    chunks: int
    bytes: int
    seconds: float
    latencies: array = field(repr=False)
    frames: int
    writes: int
    output_bytes: int  # what the sink wrote: text plus escapes, JSON, ...
    received_bytes: int  # what the reader got (a pty adds CR before LF)
    cpu_s: float  # the pump thread: frames, the sink's rendering and writes
    source_cpu_s: float  # the synthetic source's thread: making and handing over chunks
    peak_rss_mb: float
    status: int

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        return self.bytes / self.seconds / 1e6 if self.seconds > 0 else 0.0


class TimedSink(Sink):
    """Wraps a sink: counts frames and notes when each one was written.

    `marks` holds, per frame, the completion time and the number of chunks written so
    far. `on_frame(chunks)` is called after each frame (the progress bar).
    """

    def __init__(
        self,
        sink: Sink,
        clock: Callable[[], float],
        on_frame: Callable[[int], None] | None = None,
    ) -> None:
        self.sink = sink
        self.frame_interval = sink.frame_interval
        self.shows_errors = sink.shows_errors
        self.clock = clock
        self.frames = 0
        self.chunks = 0
        self.mark_times = array("d")
        self.mark_counts = array("q")
        self._on_frame = on_frame

    def write(self, events: list[Event]) -> None:
        self.sink.write(events)
        self._mark(_chunk_count(events))

    def next_tick(self) -> float | None:
        return self.sink.next_tick()

    def tick(self) -> None:
        self.sink.tick()
        self.frames += 1

    def suspend(self) -> None:
        self.sink.suspend()

    def resume(self) -> None:
        self.sink.resume()

    def close(self) -> None:
        self.sink.close()
        self._mark(0)

    def _mark(self, chunks: int) -> None:
        now = self.clock()
        self.frames += 1
        if chunks:
            self.chunks += chunks
            self.mark_times.append(now)
            self.mark_counts.append(self.chunks)
            if self._on_frame is not None:
                self._on_frame(self.chunks)

    def latencies(self, arrivals: array) -> array:
        """Per chunk: the end of its frame minus its arrival (seconds)."""
        result = array("d")
        start = 0
        for done, upto in zip(self.mark_times, self.mark_counts, strict=True):
            result.extend(done - arrival for arrival in arrivals[start:upto])
            start = upto
        return result


def _chunk_count(events: list[Event]) -> int:
    """Chunks in a frame: the synthetic stream has other events only at its ends."""
    ends = events if len(events) <= 4 else (events[0], events[-2], events[-1])
    return len(events) - sum(1 for event in ends if event.get("type") not in _CHUNK_TYPES)


class _Drain:
    """A reader thread that empties a pipe or a pty master and counts the bytes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.bytes = 0
        self._thread = threading.Thread(target=self._run, name="bench-drain", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        read = os.read
        fd = self.fd
        while True:
            try:
                data = read(fd, _READ_SIZE)
            except OSError:  # EIO: the pty's slave side is closed
                break
            if not data:
                break
            self.bytes += len(data)

    def join(self) -> None:
        self._thread.join()
        os.close(self.fd)


class _PtyEnvironment(Environment):
    """An environment whose terminal is the bench's pty, whatever size the user's is."""

    size: tuple[int, int] = TERMINAL_SIZE

    def terminal_size(self) -> tuple[int, int]:
        return self.size


@contextlib.contextmanager
def sink_target(kind: str) -> Iterator[tuple[Environment, _Drain]]:
    """The environment a sink of `kind` runs in, with its output drained."""
    devnull = open(os.devnull, "rb")  # noqa: SIM115 - closed below
    if kind == "terminal":
        import fcntl
        import termios

        master, slave = os.openpty()
        columns, rows = TERMINAL_SIZE
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        read_fd, write_fd = master, slave
    else:
        read_fd, write_fd = os.pipe()
    drain = _Drain(read_fd)
    stdout: BinaryIO = open(write_fd, "wb")  # noqa: SIM115 - closed below
    tty = kind == "terminal"
    env_class = _PtyEnvironment if tty else Environment
    env = env_class(
        stdin=devnull,
        stdout=stdout,
        stderr=io.StringIO(),
        stdout_isatty=tty,
        environ={"TERM": "xterm-256color", "COLORTERM": "truecolor"} if tty else {},
    )
    try:
        yield env, drain
    finally:
        with contextlib.suppress(OSError):
            stdout.close()
        drain.join()
        devnull.close()


def run_sink(
    kind: str,
    config: SyntheticConfig,
    *,
    on_frame: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> SinkRun:
    """Run the synthetic stream of `config` through the sink of `kind`; measure it."""
    source = _ThreadTimedSource(config, clock)
    with sink_target(kind) as (env, drain):
        sink = choose_sink(env, OutputOptions(json=kind == "jsonl"))
        timed = TimedSink(sink, clock, on_frame)
        _reset_peak_rss()
        main_cpu = time.thread_time()
        status = Pipeline(source, timed, stderr=env.stderr, signals=True).run()
        main_cpu = time.thread_time() - main_cpu
        finished = clock()
        peak = _peak_rss_mb()
    output = getattr(sink, "output", None)
    arrivals = source.arrivals(timed.chunks)
    first = arrivals[0] if arrivals else finished
    return SinkRun(
        sink=kind,
        sink_class=type(sink).__name__,
        target="pty" if kind == "terminal" else "pipe",
        config=config,
        chunks=timed.chunks,
        bytes=source.bytes_of(timed.chunks),
        seconds=finished - first,
        latencies=timed.latencies(arrivals),
        frames=timed.frames,
        writes=output.writes if output is not None else 0,
        output_bytes=output.bytes if output is not None else 0,
        received_bytes=drain.bytes,
        cpu_s=main_cpu,
        source_cpu_s=source.cpu_s,
        peak_rss_mb=peak,
        status=status,
    )


class _ThreadTimedSource(SyntheticSource):
    """The synthetic source, also measuring the CPU time of the thread it runs in."""

    cpu_s = 0.0

    def batches(self) -> Iterator[list[Event]]:
        start = time.thread_time()
        try:
            for batch in super().batches():
                self.cpu_s = time.thread_time() - start
                yield batch
        finally:
            self.cpu_s = time.thread_time() - start


_HWM = re.compile(rb"VmHWM:\s+(\d+) kB")


def _reset_peak_rss() -> None:
    """Start a new peak-memory measurement (Linux: reset VmHWM; elsewhere not possible)."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _peak_rss_mb() -> float:
    """Peak resident memory since the last reset, in MB (since start without /proc)."""
    with contextlib.suppress(OSError):
        with open("/proc/self/status", "rb") as f:
            match = _HWM.search(f.read())
        if match:
            return int(match.group(1)) * 1024 / 1e6
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1e6 if sys.platform == "darwin" else peak * 1024 / 1e6
