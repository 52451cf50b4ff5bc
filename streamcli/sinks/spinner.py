"""Spinner frames, derived from a clock (so tests can use a fake one).

The elapsed times next to a spinner are written by `present.elapsed`."""

from __future__ import annotations

import math

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"  # rich's "dots"
INTERVAL = 0.08  # seconds per frame (rich's Status uses the same 12.5 frames/s)


def frame(elapsed: float) -> str:
    """The spinner's glyph `elapsed` seconds after it started."""
    return FRAMES[int(max(elapsed, 0.0) / INTERVAL) % len(FRAMES)]


def next_frame(epoch: float, now: float) -> float:
    """The time of the first frame boundary after `now`, counting from `epoch`."""
    steps = math.floor((now - epoch) / INTERVAL + 1e-6) + 1  # a tick on a boundary moves on
    return epoch + steps * INTERVAL
