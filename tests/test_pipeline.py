"""The pump: frame clock semantics, coalescing, trailing edge, failures."""

from __future__ import annotations

import io
import os
import signal
import threading
import time

import orjson
import pytest

from streamcli import errors, events
from streamcli.frames import FrameClock
from streamcli.pipeline import QUEUE_BATCHES, Pipeline
from streamcli.sinks.jsonl import JsonlSink
from streamcli.sinks.passthrough import PassthroughSink
from streamcli.sinks.text import TextSink
from streamcli.stream import ASAP, FRAME_INTERVAL, Sink, Source


class RecordingSink(Sink):
    """Keeps each frame it is given."""

    def __init__(self, interval: float = 1 / 30, shows_errors: bool = True) -> None:
        self.frame_interval = interval
        self.shows_errors = shows_errors
        self.frames: list[list[dict]] = []
        self.closed = False
        self.changed = threading.Condition()

    def write(self, batch):
        with self.changed:
            self.frames.append(list(batch))
            self.changed.notify_all()

    def close(self):
        self.closed = True

    def events(self):
        return [e for frame in self.frames for e in frame]

    def wait_for(self, predicate, timeout=10.0):
        with self.changed:
            assert self.changed.wait_for(lambda: predicate(self.events()), timeout)


class ScriptedSource(Source):
    """Yields batches; a `threading.Event` in the script makes it wait for the test."""

    name = "test"

    def __init__(self, script):
        self.script = script
        self.closed = threading.Event()

    def batches(self):
        for step in self.script:
            if isinstance(step, threading.Event):
                while not step.wait(0.01):
                    if self.closed.is_set():
                        return
            elif isinstance(step, Exception):
                raise step
            else:
                yield step

    def close(self):
        self.closed.set()


def texts(batch_events):
    return [e["text"] for e in batch_events if e["type"] == "text"]


# -- frame clock --------------------------------------------------------------------


def test_frame_clock_leading_edge_then_interval():
    frame = FrameClock(0.05)
    assert frame.due(0.0)  # nothing painted yet: the first chunk goes out at once
    frame.painted(0.0, cost=0.001)
    assert not frame.due(0.01)
    assert frame.deadline() == pytest.approx(0.05)
    assert frame.due(0.05)


def test_frame_clock_adapts_to_slow_frames_within_bounds():
    frame = FrameClock(0.033)
    frame.painted(0.0, cost=0.02)
    assert frame.interval == pytest.approx(0.08)  # four times the cost
    frame.painted(1.0, cost=5.0)
    assert frame.interval == 0.25  # capped
    frame.painted(2.0, cost=0.0001)
    assert frame.interval == 0.033  # back to the base when frames are cheap


# -- the pump -----------------------------------------------------------------------


def test_first_batch_is_written_at_once_and_pending_text_on_the_trailing_edge():
    first_written, stall = threading.Event(), threading.Event()
    source = ScriptedSource(
        [
            [events.start(0, "test"), events.text(0, "first")],
            first_written,  # the source goes on only once "first" is on the sink
            [events.text(0, "second")],
            [events.text(0, "third")],
            stall,  # the source goes quiet: nothing else arrives
            [events.end(0, "stop")],
        ]
    )
    sink = RecordingSink(interval=0.2)
    pipeline = Pipeline(source, sink, stderr=io.StringIO())
    runner = threading.Thread(target=pipeline.run)
    runner.start()
    sink.wait_for(lambda evs: texts(evs) == ["first"])  # leading edge: written at once
    first_written.set()
    # The trailing edge writes "second" and "third" although the source is stalled.
    sink.wait_for(lambda evs: texts(evs) == ["first", "second", "third"])
    assert sink.frames[0][-1]["text"] == "first"  # leading edge: alone in the first frame
    assert [texts(f) for f in sink.frames[1:]] == [["second", "third"]]  # coalesced
    stall.set()
    runner.join(10)
    assert sink.events()[-1]["type"] == "end" and sink.closed


def test_nothing_lost_with_many_small_batches():
    batches = [[events.text(0, f"{i},")] for i in range(5000)]
    sink = RecordingSink(interval=0.01)
    assert Pipeline(ScriptedSource(batches), sink).run() == errors.OK
    assert "".join(texts(sink.events())) == "".join(f"{i}," for i in range(5000))
    assert len(sink.frames) < 5000  # coalesced into frames


def test_a_failing_source_keeps_what_arrived_then_error_and_end():
    failure = errors.StreamcliError("server went away", kind="connection", retryable=True)
    source = ScriptedSource([[events.start(0, "test"), events.text(0, "partial")], failure])
    sink, stderr = RecordingSink(), io.StringIO()
    assert Pipeline(source, sink, stderr=stderr).run() == errors.FAILURE
    kinds = [e["type"] for e in sink.events()]
    assert kinds == ["start", "text", "error", "end"]
    error, end = sink.events()[-2:]
    assert error["kind"] == "connection" and error["retryable"] is True
    assert error["message"] == "server went away" and end["reason"] == "error"
    assert stderr.getvalue() == ""  # this sink shows errors itself


def test_failure_before_any_event_still_makes_a_whole_stream():
    sink, stderr = RecordingSink(shows_errors=False), io.StringIO()
    status = Pipeline(ScriptedSource([errors.BadInput("no such file")]), sink, stderr=stderr).run()
    assert status == errors.USAGE
    assert [e["type"] for e in sink.events()] == ["start", "error", "end"]
    assert stderr.getvalue() == "streamcli: error: no such file\n"


def test_taps_get_every_frame_too():
    sink, tap = RecordingSink(), RecordingSink()
    batches = [[events.start(0, "test")], [events.text(0, "a")], [events.end(0, "stop")]]
    Pipeline(ScriptedSource(batches), sink, [tap]).run()
    assert tap.events() == sink.events() and tap.closed


class BrokenTap(RecordingSink):
    """A tap whose disk is full; its label carries a control character."""

    label = "the history \x1b[2J"

    def write(self, batch):
        raise OSError(28, "No space left on device")


def test_a_tap_that_fails_is_named_in_one_sanitized_line_and_the_stream_goes_on():
    sink, stderr = RecordingSink(), io.StringIO()
    batches = [[events.start(0, "test")], [events.text(0, "a")], [events.end(0, "stop")]]
    # The stream goes on to its end; the run fails (exit 1) because the tap was lost.
    assert Pipeline(ScriptedSource(batches), sink, [BrokenTap()], stderr=stderr).run() == 1
    assert texts(sink.events()) == ["a"]
    assert stderr.getvalue() == (
        "streamcli: error: cannot write the history \\x1b[2J: No space left on device\n"
    )


def test_times_of_added_events_never_go_backwards():
    failure = errors.StreamcliError("cut")
    source = ScriptedSource([[events.start(0, "test"), events.text(1000.0, "late")], failure])
    sink = RecordingSink()
    Pipeline(source, sink, stderr=io.StringIO()).run()
    assert [e["t"] for e in sink.events()][-2:] == [1000.0, 1000.0]


# -- pipes and files: no frame clock ------------------------------------------------


class FrozenClock:
    """The pipeline's clock, standing still: a frame clock can never come due again."""

    def __call__(self) -> float:
        return 0.0


class LineByLine(Source):
    """One line per batch, each only once the test has seen the previous one written."""

    name = "test"

    def __init__(self, count: int):
        self.count = count
        self.seen = [threading.Event() for _ in range(count)]
        self.closed = threading.Event()

    def batches(self):
        yield [events.start(0, "test")]
        for i in range(self.count):
            yield [events.line(0, f"line {i}", "app.log")]
            while not self.seen[i].wait(0.01):
                if self.closed.is_set():
                    return
        yield [events.end(0, "eof")]

    def close(self):
        self.closed.set()


def read_lines(read_fd, on_line):
    """A reader thread on a pipe: calls `on_line` with each complete line it reads."""

    def drain():
        held = b""
        with os.fdopen(read_fd, "rb", buffering=0) as reader:
            while chunk := reader.read(65536):
                *lines, held = (held + chunk).split(b"\n")
                for line in lines:
                    on_line(line)

    thread = threading.Thread(target=drain)
    thread.start()
    return thread


@pytest.mark.parametrize("json", [False, True])
def test_into_a_pipe_each_line_is_written_before_the_next_is_produced(json):
    """No frame clock for a pipe: with the pipeline's clock standing still, every line is
    still written as soon as it arrives (a frame clock would hold the second one)."""
    source = LineByLine(50)
    read_fd, write_fd = os.pipe()
    lines = []

    def on_line(line):
        text = orjson.loads(line).get("text", "") if json else line.decode()
        if text.startswith("line "):
            lines.append(text)
            source.seen[int(text.split()[1])].set()

    reader = read_lines(read_fd, on_line)
    with os.fdopen(write_fd, "wb") as out:
        if json:
            sink = JsonlSink(out)
        else:
            sink = TextSink(out, io.StringIO(), sanitize_output=False, terminal=False)
        pipeline = Pipeline(source, sink, stderr=io.StringIO(), clock=FrozenClock())
        runner = threading.Thread(target=pipeline.run)
        runner.start()
        runner.join(60)
        if runner.is_alive():  # a line was held back: let the test fail, not hang
            source.close()
            runner.join()
    reader.join()
    assert all(seen.is_set() for seen in source.seen)
    assert lines == [f"line {i}" for i in range(50)]


def test_sinks_into_pipes_have_no_frame_clock_and_terminals_keep_theirs():
    err = io.StringIO()
    out = io.BytesIO()
    assert TextSink(out, err, sanitize_output=False, terminal=False).frame_interval == ASAP
    assert JsonlSink(out).frame_interval == ASAP
    assert PassthroughSink(out, err, safe=True, restore_terminal=False).frame_interval == ASAP
    assert TextSink(out, err, sanitize_output=True, terminal=True).frame_interval == FRAME_INTERVAL
    assert JsonlSink(out, escape_controls=True).frame_interval == FRAME_INTERVAL
    assert (
        PassthroughSink(out, err, safe=True, restore_terminal=True).frame_interval == FRAME_INTERVAL
    )


def test_without_a_frame_clock_every_frame_is_due_whatever_the_last_one_cost():
    frame = FrameClock(ASAP)
    frame.painted(0.0, cost=0.2)
    assert frame.due(0.0) and frame.interval == 0.0


class Flood(Source):
    """`count` one-line batches as fast as the channel takes them; counts what it yielded."""

    name = "test"

    def __init__(self, count: int):
        self.count = count
        self.yielded = 0
        self.finished = False
        self.changed = threading.Condition()

    def batches(self):
        for i in range(self.count):
            with self.changed:
                self.yielded += 1
                self.changed.notify_all()
            yield [events.line(0, str(i), "app.log")]
        with self.changed:
            self.finished = True
            self.changed.notify_all()


class WritesWhenTheChannelIsFull(Sink):
    """Around a sink: each write lasts until the source is blocked on a full channel, so
    what a write must coalesce is known exactly."""

    frame_interval = ASAP

    def __init__(self, sink: Sink, source: Flood):
        self.sink = sink
        self.source = source
        self.lines = 0
        self.frames: list[int] = []

    def write(self, batch):
        after = self.lines + sum(1 for e in batch if e["type"] == "line")
        with self.source.changed:  # the source yields the batch after a full channel
            assert self.source.changed.wait_for(
                lambda: self.source.finished or self.source.yielded > after + QUEUE_BATCHES, 30
            )
        self.sink.write(batch)
        self.lines = after
        self.frames.append(len(batch))

    def close(self):
        self.sink.close()


def test_a_flood_into_a_pipe_is_written_in_one_write_per_busy_spell():
    """What arrives while a write is in progress goes out in the next write, together."""
    count = 2000
    source = Flood(count)
    read_fd, write_fd = os.pipe()
    lines = []
    reader = read_lines(read_fd, lambda line: lines.append(line.decode()))
    with os.fdopen(write_fd, "wb") as out:
        text = TextSink(out, io.StringIO(), sanitize_output=False, terminal=False)
        sink = WritesWhenTheChannelIsFull(text, source)
        assert Pipeline(source, sink, stderr=io.StringIO()).run() == errors.OK
    reader.join()
    assert lines == [str(i) for i in range(count)]  # nothing lost, in order
    assert all(size >= QUEUE_BATCHES for size in sink.frames[1:-1])  # a full channel each
    assert text.output.writes <= 2 + count // QUEUE_BATCHES  # not one write per line


def test_taps_are_written_after_the_sink_and_get_the_frame_the_reader_missed():
    order = []

    class Gone(RecordingSink):
        def write(self, batch):
            order.append("sink")
            if any(e["type"] == "text" and e["text"] == "b" for e in batch):
                raise BrokenPipeError
            super().write(batch)

    class Tap(RecordingSink):
        def write(self, batch):
            order.append("tap")
            super().write(batch)

    gate = threading.Event()
    source = ScriptedSource(
        [[events.start(0, "test"), events.text(0, "a")], gate, [events.text(0, "b")], gate]
    )
    sink, tap = Gone(interval=ASAP), Tap()
    runner = threading.Thread(target=Pipeline(source, sink, [tap]).run)
    runner.start()
    sink.wait_for(lambda evs: texts(evs) == ["a"])
    gate.set()
    runner.join(30)
    assert order[:4] == ["sink", "tap", "sink", "tap"]
    assert texts(tap.events()) == ["a", "b"] and tap.events()[-1]["type"] == "end"
    assert tap.closed


class CtrlCWhileClosing(RecordingSink):
    """Ctrl-C arrives while the sink closes, after the stream's end: it is still
    writing its last bytes."""

    def close(self):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the signal is handled here, mid-close
        self.closed = True


def test_ctrl_c_after_the_end_lets_every_sink_close_and_the_run_is_complete():
    """The command line's policy (`signals=True`): a Ctrl-C after the end is ignored."""
    sink, tap = CtrlCWhileClosing(), RecordingSink()
    batches = [[events.start(0, "test"), events.text(0, "all"), events.end(0, "stop")]]
    assert Pipeline(ScriptedSource(batches), sink, [tap], signals=True).run() == errors.OK
    assert sink.closed and tap.closed
    assert [e["type"] for e in tap.events()] == ["start", "text", "end"]
