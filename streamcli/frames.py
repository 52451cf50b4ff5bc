"""When the next frame is due (`FrameClock`): the pump's throttle."""

from __future__ import annotations

import math

MAX_FRAME_INTERVAL = 0.25


class FrameClock:
    """When the next frame is due: a throttle with a leading and a trailing edge.

    The interval adapts to what a frame costs (four times the last frame's cost, between
    the sink's base interval and 250 ms), so a slow sink lowers the frame rate instead of
    falling behind. With a base interval of 0 (`ASAP`) every frame is due at once: the
    pump's own time per frame is the only spacing.
    """

    def __init__(self, interval: float, max_interval: float = MAX_FRAME_INTERVAL) -> None:
        self.base = interval
        self.interval = interval
        self.max_interval = max(max_interval, interval)
        self.last = -math.inf
        self.frames = 0

    def due(self, now: float) -> bool:
        return now - self.last >= self.interval

    def deadline(self) -> float:
        return self.last + self.interval

    def painted(self, now: float, cost: float) -> None:
        """Record a frame that started at `now` and took `cost` seconds."""
        self.frames += 1
        self.last = now
        if self.base > 0:
            self.interval = min(max(self.base, 4 * cost), self.max_interval)
