"""The pump: frame clock semantics, coalescing, trailing edge, failures."""

from __future__ import annotations

import io
import threading

import pytest

from streamcli import errors, events
from streamcli.pipeline import FrameClock, Pipeline, Source
from streamcli.sinks.base import Sink


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
    assert Pipeline(ScriptedSource(batches), sink, [BrokenTap()], stderr=stderr).run() == 0
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
