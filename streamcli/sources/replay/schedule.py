"""Playback timing: when each recorded event is due.

Gaps are capped by the idle limit first, then divided by the speed, then capped at
`MAX_GAP` (a day: an absurd gap or speed such as ``--speed 1e-300`` cannot overflow the
timer), and every event is scheduled against one monotonic epoch, so rounding never
accumulates into drift. Waits are taken in slices of at most `MAX_WAIT`, which every
timer accepts.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator

from streamcli.events import Event

MAX_GAP = 86_400.0  # seconds: the longest pause between two events, whatever the recording
MAX_WAIT = 3_600.0  # seconds: one wait on the stop event (threading.TIMEOUT_MAX is far larger)


class Schedule:
    """Maps recorded times (`t`) to monotonic deadlines."""

    def __init__(
        self,
        speed: float = 1.0,
        idle_limit: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.speed = speed
        self.idle_limit = idle_limit
        self._clock = clock
        self._epoch: float | None = None
        self._previous = 0.0  # the recorded time of the previous event
        self._elapsed = 0.0  # seconds of playback since the epoch

    @property
    def instant(self) -> bool:
        """Speed 0: no delays at all."""
        return self.speed == 0

    def deadline(self, t: float) -> float:
        """The monotonic time at which an event recorded at `t` is due."""
        if self._epoch is None:
            self._epoch = self._clock()
        gap = t - self._previous
        if not math.isfinite(gap) or gap < 0:
            gap = 0.0
        else:
            self._previous = t
        if self.idle_limit is not None:
            gap = min(gap, self.idle_limit)
        if self.instant:
            return self._epoch
        try:
            pause = gap / self.speed
        except OverflowError:
            pause = MAX_GAP
        self._elapsed += min(pause, MAX_GAP)
        return self._epoch + self._elapsed


FRAME_SLACK = 1 / 60  # events due this soon after one that is due travel with it


def timed_batches(
    batches: Iterable[list[Event]],
    schedule: Schedule,
    stopped: threading.Event,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[list[Event]]:
    """Release `batches` of events when they are due; stop early when `stopped` is set.

    Events that are due, and those due within `FRAME_SLACK` after them (less than a
    frame: nobody can see the difference), travel together, so a fast recording costs a
    wake-up per frame, not per event. The source waits (interruptibly) only for an event
    that lies further in the future; nothing is ever released late.
    """
    for batch in batches:
        if stopped.is_set():
            return
        if schedule.instant:
            yield batch
            continue
        due_now: list[Event] = []
        for event in batch:
            due = schedule.deadline(event["t"])
            now = clock()
            if due > now + FRAME_SLACK or (due > now and not due_now):
                if due_now:
                    yield due_now
                    due_now = []
                if _wait_until(due, stopped, clock):
                    return
            due_now.append(event)
        if due_now:
            yield due_now


def _wait_until(due: float, stopped: threading.Event, clock: Callable[[], float]) -> bool:
    """Wait until `due` in slices a timer accepts; True when `stopped` was set meanwhile."""
    while (wait := due - clock()) > 0:
        if stopped.wait(min(wait, MAX_WAIT)):
            return True
    return False
