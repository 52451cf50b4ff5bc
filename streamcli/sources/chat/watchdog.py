"""The stall watchdog: how long a reply may stay silent.

A read timeout alone is not enough: keep-alive pings reset it while no text arrives.
The watchdog counts only *content* (text, reasoning, tool-call pieces) as progress. Until
the first piece, `first_token` seconds are allowed from the start of the request (a model
may be loading); after it, `idle` seconds between pieces.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Watchdog:
    """Says when a reply has been silent too long, before its first piece and between pieces."""

    def __init__(
        self, first_token: float, idle: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.first_token = first_token
        self.idle = idle
        self._clock = clock
        self.started = clock()
        self.first_content: float | None = None
        self._deadline = self.started + first_token

    def progress(self) -> None:
        """Content arrived: the silence clock starts again."""
        now = self._clock()
        if self.first_content is None:
            self.first_content = now
        self._deadline = now + self.idle

    def remaining(self) -> float:
        """Seconds until the reply counts as stalled (never negative)."""
        return max(0.0, self._deadline - self._clock())

    @property
    def expired(self) -> bool:
        return self._clock() >= self._deadline

    @property
    def waiting_for_first(self) -> bool:
        return self.first_content is None

    @property
    def ttft_ms(self) -> float | None:
        """Milliseconds from the request to its first content, once there was some."""
        if self.first_content is None:
            return None
        return round((self.first_content - self.started) * 1000, 3)
