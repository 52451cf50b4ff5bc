"""Spinner frames and elapsed times, derived from a clock (so tests can use a fake one)."""

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


def seconds(elapsed: float) -> str:
    """A running time as people read it: 0.4s, 12.3s, 2m05s."""
    if elapsed < 60:
        return f"{max(elapsed, 0.0):.1f}s"
    minutes, rest = divmod(int(elapsed), 60)
    return f"{minutes}m{rest:02d}s"


def duration(ms: float) -> str:
    """A finished duration: 48 ms, 1.2 s, 2m05s."""
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return seconds(ms / 1000)
