"""The pump between a source and a sink: frames, coalescing, taps and a clean ending.

A source's batches are produced in a worker thread and handed over through a bounded
`Channel` (back-pressure, not unbounded memory). The main thread collects them and writes a
*frame* when one is due: at once for the first batch after a quiet period (leading edge),
otherwise when the frame interval has passed, whether or not more arrives (trailing edge).
Between frames, arriving events are only appended to a list; in a flood, a frame is also
written once that list holds `MAX_PENDING_EVENTS`, so memory stays bounded.

A sink with no frame interval (`ASAP`: a pipe or a file, where a write costs microseconds)
is written as soon as the pump is free: whatever arrived while the previous write (or the
taps) kept it busy goes out in the next write, so sparse events leave at once and a flood
is coalesced by itself. The taps (recording, history, stats) are written after the sink,
so they are never on the way to the output.

On the end of the stream, an error, an interruption (`interrupt`, Ctrl-C), everything that
arrived is written before the pipeline returns.

The pump changes nothing of the process: it runs in any thread, several at once, each
with its own sink. What a stop signal or a reader of stdout going away means to the
process is the command line's policy, handed in (`signals`, `on_output_closed`).
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

from streamcli import errors, events
from streamcli.channel import Channel
from streamcli.events import Event
from streamcli.frames import FrameClock
from streamcli.signals import (
    Stopped,
    StreamSignals,
    first_ctrl_c_ignored,
    signal_handlers,
    stop_now,
)
from streamcli.stream import Screen, Sink, Source

QUEUE_BATCHES = 16  # batches in flight between the source thread and the pump
CLOSE_GRACE = 0.25  # after `close()`, how long a source may take to hand over what it holds
HURRY_POLL = 0.05  # while waiting that long, how often a second signal is looked for
MAX_PENDING_EVENTS = 8192  # a flood is written in frames of this many events at most


class _Loan:
    """The display lent to a question: granted by the pump, given back by the borrower."""

    def __init__(self) -> None:
        self.granted = threading.Event()
        self.returned = threading.Event()

    def wait_granted(self, stopped: threading.Event, poll: float = 0.05) -> bool:
        """Wait until the pump grants the loan; False once `stopped` is set instead."""
        while not self.granted.wait(poll):
            if stopped.is_set():
                return False
        return True


_DONE = object()


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Pipeline:
    """Runs one stream from `source` to `sink` (and to `taps`, e.g. a recording)."""

    def __init__(
        self,
        source: Source,
        sink: Sink,
        taps: Sequence[Sink] = (),
        *,
        stderr: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        screen: Screen | None = None,
        signals: bool = False,
        on_output_closed: Callable[[], None] | None = None,
    ) -> None:
        """`screen`: the display this pipeline lends to questions while it runs.
        `signals` (the command line only, main thread): SIGTERM and SIGHUP end the
        stream like Ctrl-C; a second signal while it ends hurries the ending (its last
        events are still written whole), a third exits at once (`StreamSignals`).
        `on_output_closed`: what to do once the sink's reader went away."""
        self.source = source
        self.sink = sink
        self.taps = list(taps)
        self._screen = screen
        self._signals = StreamSignals() if signals else None
        self._on_output_closed = on_output_closed or _nothing
        self._interrupted_by: int | None = None  # `interrupt`'s status, from another thread
        self._suspend_asked = False  # Ctrl-Z (SIGTSTP) was pressed
        self.frame = FrameClock(sink.frame_interval)
        self._stderr = stderr
        self._clock = clock
        self._stream_clock = events.StreamClock(clock)
        self._channel = Channel(QUEUE_BATCHES)
        self._stop = threading.Event()
        self._pending: list[Event] = []
        self._received_any = False
        self._ended = False  # the stream's end event arrived
        self._tap_failed = False  # a tap could not be written: exit 1 at the end
        self._last_t = 0.0

    # -- running -------------------------------------------------------------

    def run(self) -> int:
        """Pump the stream to its end and return the exit status."""
        worker = self._worker = threading.Thread(
            target=self._produce, name="streamcli-source", daemon=True
        )
        if self._screen is not None:
            self._screen.attach(self._lend)
        try:
            if self._signals is None:
                return self._run(worker)
            with self._signals.handlers(), self._suspendable():
                return self._run(worker)
        finally:
            if self._screen is not None:
                self._screen.attach(None)

    def interrupt(self, status: int = errors.INTERRUPTED) -> None:
        """End the stream early, from any thread, as Ctrl-C does: what arrived is written,
        then an `end` event (reason `interrupted`); `run` returns `status`."""
        self._interrupted_by = status
        self._channel.wake()

    def _run(self, worker: threading.Thread) -> int:
        worker.start()
        try:
            failure = self._pump()
        except KeyboardInterrupt:
            return self._interrupted(errors.INTERRUPTED)
        except Stopped as stop:
            return self._interrupted(stop.status)
        except ConnectionError:  # the reader went away: a broken pipe, a reset socket
            self._ending(errors.OK)
            return self._reader_gone()
        except OSError as exc:  # the output failed (a full disk, EIO): the taps still end
            self._ending(errors.FAILURE)
            self._reader_gone()
            raise exc from None  # the command line reports it as one line (`stdio`)
        if failure is not None:
            self._ending(errors.FAILURE)
            return self._failed(failure)
        with self._policy(first_ctrl_c_ignored()):
            self._close_sinks()
        # A tap that could not be written (a full disk) fails the run, at its end.
        return errors.FAILURE if self._tap_failed else errors.OK

    def _policy(
        self, handlers: contextlib.AbstractContextManager[None]
    ) -> contextlib.AbstractContextManager[None]:
        """`handlers` when this pipeline handles the process's signals, else nothing."""
        return handlers if self._signals is not None else contextlib.nullcontext()

    def _ending(self, status: int) -> None:
        """From now on a signal hurries the ending instead of starting it (`StreamSignals`)."""
        if self._signals is not None:
            self._signals.ending(status)

    @property
    def _hurried(self) -> bool:
        return self._signals is not None and self._signals.hurried.is_set()

    def _suspendable(self) -> contextlib.AbstractContextManager[None]:
        """Ctrl-Z (SIGTSTP) is taken up by the pump between frames (`_suspend`)."""

        def asked(signum: int, frame: object) -> None:
            self._suspend_asked = True
            self._channel.wake()

        return signal_handlers(asked, signal.SIGTSTP)

    def _suspend(self, lent: bool = False) -> None:
        """Ctrl-Z: what streamed is written, the terminal is put back as found (cursor
        shown, modes restored) while the process is stopped, and the live view is drawn
        again when it continues. With the display `lent` to a question, it is as found."""
        self._suspend_asked = False
        if not lent:
            self._flush(self._clock())
            self.sink.suspend()
        stop_now()
        if not lent:
            self.sink.resume()

    def _produce(self) -> None:
        """Worker thread: move the source's batches into the queue. A source no longer
        listened to is closed here, so what it holds (a connection) is let go at once."""
        batches = self.source.batches()
        try:
            for batch in batches:
                if batch and not self._put(batch):
                    return
        except BaseException as exc:  # handed to the main thread, which reports it
            self._put(_Failure(exc))
        else:
            self._put(_DONE)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                with contextlib.suppress(Exception):
                    close()

    def _put(self, item: object, stopped: threading.Event | None = None) -> bool:
        while not self._stop.is_set() and not (stopped is not None and stopped.is_set()):
            if self._channel.put(item, timeout=0.1):
                return True
        return False

    def _pump(self) -> BaseException | None:
        """Main loop; returns the source's exception, if it failed."""
        frame = self.frame
        clock = self._clock
        while True:
            now = clock()
            eager = not self._pending and frame.due(now)  # the next item is a leading edge
            items = self._channel.take(self._timeout(now, eager), eager)
            now = clock()
            for item in items:
                if type(item) is list:
                    self._pending.extend(item)
                    self._note(item)
                    if len(self._pending) >= MAX_PENDING_EVENTS:
                        self._flush(now)
                elif isinstance(item, _Loan):
                    self._hold(item)
                elif isinstance(item, _Failure):
                    self._flush(clock())
                    return item.exc
                else:  # _DONE
                    self._flush(clock())
                    return None
            if self._interrupted_by is not None:
                raise Stopped(self._interrupted_by)
            if self._suspend_asked:
                self._suspend()
            if self._pending and frame.due(now):
                self._flush(now)
            elif (tick := self.sink.next_tick()) is not None and now >= tick:
                self.sink.tick()

    @contextlib.contextmanager
    def _lend(self, stopped: threading.Event) -> Iterator[bool]:
        """The display, for a question asked from another thread (see `Screen`)."""
        loan = _Loan()
        try:
            yield self._put(loan, stopped) and loan.wait_granted(stopped)
        finally:
            loan.returned.set()

    def _hold(self, loan: _Loan) -> None:
        """Lend the display until the borrower gives it back (signals still work)."""
        self._flush(self._clock())
        self.sink.suspend()
        loan.granted.set()
        while not loan.returned.wait(0.1):
            if self._interrupted_by is not None:
                break
            if self._suspend_asked:
                self._suspend(lent=True)
        self.sink.resume()

    def _timeout(self, now: float, eager: bool) -> float | None:
        """How long the pump may wait: until the next frame (unless it waits eagerly for a
        leading edge) or the sink's next animation tick, whichever is first."""
        deadlines = [] if eager else [self.frame.deadline()]
        tick = self.sink.next_tick()
        if tick is not None:
            deadlines.append(tick)
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - now)

    def _flush(self, now: float) -> None:
        """Write one frame: every pending event, to the sink first, then the taps (also
        when the sink's reader went away or a signal cut the write short)."""
        batch = self._pending
        if not batch:
            return
        self._pending = []
        try:
            self.sink.write(batch)
            self.frame.painted(now, self._clock() - now)
        finally:
            for tap in list(self.taps):  # a tap that fails is removed
                self._write_tap(tap, batch)

    def _write_tap(self, tap: Sink, batch: list[Event]) -> None:
        """A tap that cannot be written (disk full) is dropped; the stream goes on."""
        try:
            tap.write(batch)
        except OSError as exc:
            self._tap_lost(tap, exc)

    def _tap_lost(self, tap: Sink, exc: OSError) -> None:
        """Drop a tap that cannot be written; say so once; the run will exit 1."""
        if tap in self.taps:
            self.taps.remove(tap)
        self._tap_failed = True
        if self._stderr is not None:
            errors.report(self._stderr, f"cannot write {tap.label}: {exc.strerror or exc}")

    def _note(self, batch: list[Event]) -> None:
        """Keep what the pipeline must know to end the stream itself."""
        self._received_any = True
        last = batch[-1]
        t = last.get("t")
        if isinstance(t, (int, float)) and t > self._last_t:
            self._last_t = t
        if last.get("type") == "end":
            self._ended = True

    def _t(self) -> float:
        """`t` for an event the pipeline adds itself: never before the last one."""
        return max(self._last_t, self._stream_clock())

    # -- endings -------------------------------------------------------------

    def _received(self, grace: float = 0.0) -> None:
        """Move what the source delivers into the pending frame, until it is done or
        `grace` seconds have passed."""
        deadline = self._clock() + grace
        while True:
            if self._hurried:  # a second signal: what arrived is enough
                return
            items = self._channel.take(min(max(0.0, deadline - self._clock()), HURRY_POLL))
            if not items and (self._clock() >= deadline or not grace):
                return
            for item in items:
                if type(item) is not list:
                    return
                self._pending.extend(item)
                self._note(item)

    def _finish(self, closing: list[Event], sinks: Sequence[Sink]) -> None:
        """Write what is pending plus the closing events to `sinks`, then close them."""
        batch = self._pending + closing
        self._pending = []
        if not self._received_any:
            batch.insert(0, events.start(0.0, self.source.name))
        for sink in sinks:
            if sink is not self.sink:
                if sink in self.taps:
                    self._write_tap(sink, batch)
                continue
            with self._reader_may_be_gone():
                sink.write(batch)
        self._close_sinks([sink for sink in sinks if sink is self.sink or sink in self.taps])

    def _close_sinks(self, sinks: Sequence[Sink] | None = None) -> None:
        """Close the sink first (it may own the screen), then the taps."""
        for sink in sorted(
            [*self.taps, self.sink] if sinks is None else sinks, key=lambda s: s is not self.sink
        ):
            with self._reader_may_be_gone():
                if sink is self.sink:
                    sink.close()
                    continue
                try:
                    sink.close()
                except OSError as exc:  # its last bytes did not fit (a full disk)
                    self._tap_lost(sink, exc)

    def _interrupted(self, status: int) -> int:
        """Ctrl-C or a signal: keep what arrived, mark the stream interrupted."""
        self._ending(status)  # a second signal hurries this; a third exits at once
        self.source.close()
        self._received(CLOSE_GRACE)
        self._stop.set()
        closing = [] if self._ended else [events.end(self._t(), "interrupted")]
        self._finish(closing, [*self.taps, self.sink])
        return status

    def _reader_gone(self) -> int:
        """The sink's reader went away (`| head`, a client hung up): stop quietly."""
        self._stop.set()
        self.source.close()
        self._on_output_closed()
        self._received()
        closing = [] if self._ended else [events.end(self._t(), "interrupted")]
        self._finish(closing, self.taps)
        return errors.OK

    @contextlib.contextmanager
    def _reader_may_be_gone(self) -> Iterator[None]:
        """Writing the last frames: a reader that went away is no error."""
        try:
            yield
        except ConnectionError:
            self._on_output_closed()

    def _failed(self, exc: BaseException) -> int:
        """The source failed: everything before the failure is written, then the error."""
        self._stop.set()
        if not isinstance(exc, errors.StreamcliError):
            self._close_sinks()
            raise exc
        extra = {}
        if exc.status is not None:
            extra["status"] = exc.status
        if exc.retryable is not None:
            extra["retryable"] = exc.retryable
        t = self._t()
        closing = [events.error(t, exc.kind, exc.message, **extra), events.end(t, "error")]
        self._finish(closing, [*self.taps, self.sink])
        if not self.sink.shows_errors and self._stderr is not None:
            errors.report(self._stderr, exc.message)
        return exc.exit_code


def _nothing() -> None:
    pass
