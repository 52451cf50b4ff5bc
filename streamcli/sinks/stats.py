"""Stream statistics: time to first token, output tokens, tokens per second.

`StreamStats` watches the events of one stream; `StatsTap` prints its summary once on
stderr when the stream ends (`--stats`). Server token counts (`end.usage`) are preferred;
without them the number of `text` chunks is reported (or of log lines, for `tail`), and
the unit says so. The server's count comes only with the end, so while a stream runs the
live line counts chunks; once the count is known both lines give it with the chunks
beside it ("52 tokens (48 chunks)"), so the unit seen during the run is still there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from streamcli.events import Event
from streamcli.sinks.present import duration
from streamcli.stream import Sink


class StreamStats:
    """The figures of one stream, from its events' `t`, or, for a recording played back
    (`clock` given), from when its events are written: the replay's own figures."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self._clock = clock
        self.start_t: float | None = None
        self.first_output_t: float | None = None
        self.last_t: float = 0.0
        self.chunks = 0
        self.lines = 0
        self.server_tokens: int | None = None
        self.server_ttft_ms: float | None = None

    def observe(self, events: list[Event]) -> None:
        for event in events:
            kind = event.get("type")
            t = self._clock() if self._clock is not None else event.get("t", self.last_t)
            if kind == "text" or kind == "reasoning" or kind == "line":
                if kind == "line":
                    self.lines += 1
                else:
                    self.chunks += 1
                if self.first_output_t is None:
                    self.first_output_t = t
            elif kind == "start":
                self.start_t = t
            elif kind == "end":
                usage = event.get("usage") or {}
                if isinstance(usage.get("output_tokens"), int):
                    self.server_tokens = usage["output_tokens"]
                recorded = self._clock is not None  # a recording's TTFT is not this run's
                if isinstance(event.get("ttft_ms"), (int, float)) and not recorded:
                    self.server_ttft_ms = event["ttft_ms"]
            if isinstance(t, (int, float)) and t > self.last_t:
                self.last_t = t

    @property
    def ttft_ms(self) -> float | None:
        if self.server_ttft_ms is not None:
            return self.server_ttft_ms
        if self.first_output_t is None:
            return None
        return (self.first_output_t - (self.start_t or 0.0)) * 1000

    @property
    def tokens(self) -> tuple[int, str]:
        """The output count and its unit: server tokens when known, else chunks or lines."""
        if self.server_tokens is not None:
            return self.server_tokens, "tokens"
        if self.lines and not self.chunks:
            return self.lines, "lines"
        return self.chunks, "chunks"

    @property
    def per_second(self) -> float | None:
        """Output units per second, from the first output to the last event."""
        if self.first_output_t is None:
            return None
        span = self.last_t - self.first_output_t
        count, _ = self.tokens
        return count / span if span > 0 else None

    def summary(self) -> str:
        count, unit = self.tokens
        parts = []
        ttft = self.ttft_ms
        first = "first line" if unit == "lines" else "first token"
        parts.append(f"{first} {duration(ttft)}" if ttft is not None else "no output")
        counted = _count(count, unit)
        if unit == "tokens" and self.chunks:
            counted += f" ({_count(self.chunks, 'chunks')})"
        parts.append(counted)
        rate = self.per_second
        if rate is not None:
            parts.append(f"{rate:.1f} {unit}/s")
        return ", ".join(parts)


def _count(count: int, unit: str) -> str:
    """`count` and its unit, singular for one ("1 chunk", "2 chunks")."""
    return f"{count} {unit.removesuffix('s') if count == 1 else unit}"


class StatsTap(Sink):
    """Prints the stream's statistics on stderr once, at the end (`--stats`)."""

    def __init__(self, stderr: TextIO, clock: Callable[[], float] | None = None) -> None:
        self.stats = StreamStats(clock)
        self._stderr = stderr

    def write(self, events: list[Event]) -> None:
        self.stats.observe(events)

    def close(self) -> None:
        self._stderr.write(f"streamcli: {self.stats.summary()}\n")
        self._stderr.flush()
